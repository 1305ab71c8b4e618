package cli

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/golive-cert/golive/server/store"
)

// `golive user reset-password EMAIL --out FILE` is the way back in when a
// hub account's password is lost (the first admin's included): an
// operator's command on the hub's host, over the database like `golive
// partner link`. The new password goes to a file readable by its owner
// only, never to the terminal (terminals end up in logs).
func newUserCmd(gs *GlobalState) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the hub's accounts from its host",
	}
	var db, out string
	reset := &cobra.Command{
		Use:   "reset-password EMAIL",
		Short: "Give a hub account a new random password, written to --out (owner-only); its browser sessions end",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if out == "" {
				return invalidf("--out FILE is required: the new password is written there, never printed")
			}
			st, err := openStore(gs, db, false)
			if err != nil {
				return err
			}
			defer st.Close()
			return resetPassword(gs, st, args[0], out)
		},
	}
	reset.Flags().StringVar(&db, "db", "", "the hub's database (as golive server --db)")
	reset.Flags().StringVar(&out, "out", "", "file to write the new password to (replaced if it exists; readable by you only)")
	cmd.AddCommand(reset)
	return cmd
}

func resetPassword(gs *GlobalState, st *store.Store, email, out string) error {
	users, err := st.ListUsers(gs.Ctx, store.System(), "")
	if err != nil {
		return internal(err)
	}
	var u *store.User
	for i := range users {
		if strings.EqualFold(users[i].Email, strings.TrimSpace(email)) {
			u = &users[i]
		}
	}
	if u == nil {
		return invalidf("no hub account %q", email)
	}
	password := rand.Text() // 26 characters of base32: 130 bits
	if err := writeSecretFile(out, fmt.Sprintf("email: %s\npassword: %s\n", u.Email, password)); err != nil {
		return invalidf("--out %s: %v", out, err)
	}
	if err := st.SetPassword(gs.Ctx, store.System(), u.ID, password); err != nil {
		_ = os.Remove(out)
		return internal(err)
	}
	if _, err := st.DeleteOtherSessions(gs.Ctx, u.ID, ""); err != nil { // keep none: no session is ""
		return internal(err)
	}
	_ = st.Audit(gs.Ctx, store.System(), store.AuditEntry{PartnerID: u.PartnerID, Action: "password.reset",
		Subject: "user " + u.Email, Outcome: "ok (golive user reset-password)"})
	fmt.Fprintf(gs.Stdout, "New password for %s written to %s (readable by you only); its browser sessions are signed out.\n", u.Email, out)
	return nil
}

// writeSecretFile writes content to a new file readable by its owner only;
// a file already there (or a link planted there) is replaced, never written
// through.
func writeSecretFile(path, content string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(content)
	return errors.Join(werr, f.Close())
}
