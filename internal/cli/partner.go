package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/server"
	"github.com/golive-cert/golive/server/store"
)

// `golive partner link NAME` talks to the database directly (like the
// server, with --db and GOLIVE_SECRET_KEY): it is an operator's command on
// the hub's host, and needs no running server or API token.
func newPartnerCmd(gs *GlobalState) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "partner",
		Short: "Manage the hub's partners from its host",
	}
	var db string
	link := &cobra.Command{
		Use:   "link NAME",
		Short: "Print a one-time Telegram link code for a partner (the partner sends /start CODE to the bot)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			st, err := openStore(gs, db, false)
			if err != nil {
				return err
			}
			defer st.Close()
			all, err := st.ListPartners(gs.Ctx, store.System())
			if err != nil {
				return internal(err)
			}
			var names []string
			for _, p := range all {
				if strings.EqualFold(strings.Join(strings.Fields(p.Name), " "), strings.Join(strings.Fields(args[0]), " ")) {
					code, exp, err := server.PartnerLinkCode(gs.Ctx, st, p.ID)
					if err != nil {
						return internal(err)
					}
					fmt.Fprintf(gs.Stdout, "Link code for %s (works once, until %s):\n  /start %s\n",
						p.Name, exp.UTC().Format("2006-01-02 15:04 UTC"), code)
					return nil
				}
				names = append(names, p.Name)
			}
			if len(names) == 0 {
				return invalid(errors.New("the hub has no partners yet"))
			}
			return invalidf("no partner named %q (partners: %s)", args[0], strings.Join(names, ", "))
		},
	}
	link.Flags().StringVar(&db, "db", "", "the hub's database (as golive server --db)")
	cmd.AddCommand(link)
	return cmd
}
