package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/golive-cert/golive/server/store"
)

// The BAU team: the staff accounts (admin and bau). Every staff member
// sees the team; only an admin adds, disables or enables a member. A
// partner's user is added (createPartnerUser), disabled and enabled
// (setPartnerUserDisabled) on its partner's page, never here, and is never
// listed here.

// errStaffOnly is what a partner's user gets from the team's routes: the
// same 403 the store gives for every staff-only read.
var errStaffOnly = fmt.Errorf("staff only: %w", store.ErrForbidden)

// errAdminOnly is what BAU staff get for a change to the team.
var errAdminOnly = &InputError{Status: http.StatusForbidden,
	Msg: "only an admin adds, disables or enables team members"}

// teamAdmin checks, before any input is read, that p may change the team.
func teamAdmin(p store.Principal) error {
	switch {
	case !p.Staff():
		return errStaffOnly
	case p.Role != store.RoleAdmin:
		return errAdminOnly
	}
	return nil
}

// teamBody is a new team member.
type teamBody struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Role     string `json:"role"`
	Password string `json:"password"`
}

// team lists the staff accounts by email. ListUsers refuses a partner's
// user; partner users are left out for staff.
func (s *Server) team(ctx context.Context, p store.Principal) ([]store.User, error) {
	all, err := s.store.ListUsers(ctx, p, "")
	if err != nil {
		return nil, err
	}
	out := make([]store.User, 0, len(all))
	for _, u := range all {
		if u.Role == store.RoleAdmin || u.Role == store.RoleBAU {
			out = append(out, u)
		}
	}
	return out, nil
}

// addTeamMember creates a staff account. The audit entry names the email
// and the role, never the password.
func (s *Server) addTeamMember(ctx context.Context, p store.Principal, in teamBody) (store.User, error) {
	if err := teamAdmin(p); err != nil {
		return store.User{}, err
	}
	var u store.User
	err := checkTeamBody(in)
	if err == nil {
		u, err = s.store.CreateUser(ctx, p, store.NewUser{Email: in.Email, Name: in.Name,
			Role: store.Role(in.Role), Password: in.Password})
		err = taken(err, "a user with the email %q already exists", plainText(strings.ToLower(strings.TrimSpace(in.Email)), 200))
	}
	email := u.Email
	if email == "" {
		// A refused attempt is recorded too, with what was typed made storable.
		email = plainText(in.Email, 200)
	}
	s.audit(ctx, p, "", "team.add", "user "+email, map[string]string{"role": plainText(in.Role, 20)}, err)
	return u, err
}

// plainText is typed input fit for the audit log: valid UTF-8 (PostgreSQL
// refuses anything else), no control characters, at most n bytes.
func plainText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(strings.TrimSpace(s), "?"))
	return strings.ToValidUTF8(truncate(s, n), "")
}

// checkTeamBody is what the store does not check itself: the role (the
// store also makes partner users), an initial password (the store lets a
// partner user have none), and a name PostgreSQL can store.
func checkTeamBody(in teamBody) error {
	switch {
	case in.Role != string(store.RoleBAU) && in.Role != string(store.RoleAdmin):
		return badRequest("role must be bau or admin (a partner's user is added on the partner's page)")
	case utf8.RuneCountInString(in.Password) < store.MinPassword:
		return badRequest("the initial password needs at least %d characters", store.MinPassword)
	case len(in.Name) > 200 || !utf8.ValidString(in.Name) || strings.ContainsFunc(in.Name, unicode.IsControl):
		return badRequest("the name must be up to 200 characters of plain text")
	}
	return nil
}

// setTeamMemberDisabled disables or enables a staff account. Disabling
// ends the member's browser sessions, API tokens and Telegram links with
// the flag (the store does it in one transaction); enabling brings none of
// them back. Nobody disables themselves, so the hub always keeps an admin
// who can sign in.
func (s *Server) setTeamMemberDisabled(r *http.Request, c *caller, disabled bool) (store.User, error) {
	ctx, p := r.Context(), c.p
	if err := teamAdmin(p); err != nil {
		return store.User{}, err
	}
	u, err := s.store.GetUser(ctx, p, r.PathValue("user"))
	if err != nil {
		return store.User{}, err
	}
	if u.Role != store.RoleAdmin && u.Role != store.RoleBAU {
		return store.User{}, notFoundf("no such team member: a partner's user is managed on the partner's page")
	}
	return s.switchUser(ctx, p, "", "team", u, disabled)
}

// switchUser disables or enables u for setTeamMemberDisabled and
// setPartnerUserDisabled, which have checked who may, and audits it as
// ACTIONS.disable or ACTIONS.enable under partnerID ("" for the team).
func (s *Server) switchUser(ctx context.Context, p store.Principal, partnerID, actions string, u store.User, disabled bool) (store.User, error) {
	action := actions + ".enable"
	if disabled {
		action = actions + ".disable"
	}
	err := s.store.SetUserDisabled(ctx, p, u.ID, disabled)
	s.audit(ctx, p, partnerID, action, "user "+u.Email, nil, err)
	if err != nil {
		return store.User{}, err
	}
	u.Disabled = disabled
	return u, nil
}

// userSwitch is setTeamMemberDisabled or setPartnerUserDisabled: the user
// (and partner) come from the request's path.
type userSwitch func(r *http.Request, c *caller, disabled bool) (store.User, error)

// apiSwitchUser is the API route that disables (or enables) a user with
// set, answering the user as it now is.
func apiSwitchUser(set userSwitch, disabled bool) func(http.ResponseWriter, *http.Request, *caller) error {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		u, err := set(r, c, disabled)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, userJSON(u))
		return nil
	}
}

// formSwitchUser is the page's form that does the same, then goes back
// to the page it was on.
func formSwitchUser(set userSwitch, disabled bool, back func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request, *caller) error {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		if _, err := set(r, c, disabled); err != nil {
			return err
		}
		return back(w, r)
	}
}

func (s *Server) apiListTeam(w http.ResponseWriter, r *http.Request, c *caller) error {
	users, err := s.team(r.Context(), c.p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, convertAll(users, userJSON))
	return nil
}

func (s *Server) apiAddTeamMember(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := teamAdmin(c.p); err != nil {
		return err // who may first: a partner's user learns nothing from validation
	}
	var in teamBody
	if err := decodeJSON(r, &in); err != nil {
		return err
	}
	u, err := s.addTeamMember(r.Context(), c.p, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, userJSON(u))
	return nil
}

// teamPage is the team page's data; Admin shows the forms.
type teamPage struct {
	Members []store.User
	Admin   bool
}

func (s *Server) pageTeam(w http.ResponseWriter, r *http.Request, c *caller) error {
	members, err := s.team(r.Context(), c.p)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "team", s.pageFor(c, "Team", teamPage{Members: members,
		Admin: c.p.Role == store.RoleAdmin}))
}

func (s *Server) formAddTeamMember(w http.ResponseWriter, r *http.Request, c *caller) error {
	_, err := s.addTeamMember(r.Context(), c.p, teamBody{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"),
		Role: r.PostFormValue("role"), Password: r.PostFormValue("password")})
	if err != nil {
		return err
	}
	return backToTeam(w, r)
}

// backToTeam ends a team form: the team page again.
func backToTeam(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, "/team", http.StatusSeeOther)
	return nil
}

// A partner's users: staff and the partner's own users list them; an
// admin disables or enables one on the partner's page (or over the API,
// under the partner), as a team member is.

// partnerUsers lists a partner's users by email, as the partner page does:
// without the partner's Telegram user (the hub's own, for the chats linked
// with a partner code). Staff read any partner's, a partner's user its
// own partner's; another partner's, like a missing one, is not found.
func (s *Server) partnerUsers(ctx context.Context, p store.Principal, partnerID string) ([]store.User, error) {
	if _, err := s.store.GetPartner(ctx, p, partnerID); err != nil {
		return nil, err // before listing: a missing partner has no empty list
	}
	users, err := s.store.ListUsers(ctx, p, partnerID)
	if err != nil {
		return nil, err
	}
	out := make([]store.User, 0, len(users))
	for _, u := range users {
		if u.Email != botUserEmail(partnerID) {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Server) apiListPartnerUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	users, err := s.partnerUsers(r.Context(), c.p, r.PathValue("partner"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, convertAll(users, userJSON))
	return nil
}

// errAdminOnlyUsers is what BAU staff get for disabling or enabling a
// partner's user.
var errAdminOnlyUsers = &InputError{Status: http.StatusForbidden,
	Msg: "only an admin disables or enables a partner's users"}

// setPartnerUserDisabled disables or enables one of a partner's users; the
// store ends a disabled user's sessions, tokens and Telegram links. The
// partner comes first: another partner's reads as missing, to its users
// as to anyone. A staff account, another partner's user and the partner's
// own Telegram user are no user of this partner.
func (s *Server) setPartnerUserDisabled(r *http.Request, c *caller, disabled bool) (store.User, error) {
	ctx, p, partnerID := r.Context(), c.p, r.PathValue("partner")
	if _, err := s.store.GetPartner(ctx, p, partnerID); err != nil {
		return store.User{}, err
	}
	switch {
	case !p.Staff():
		return store.User{}, errStaffOnly
	case p.Role != store.RoleAdmin:
		return store.User{}, errAdminOnlyUsers
	}
	u, err := s.store.GetUser(ctx, p, r.PathValue("user"))
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && u.PartnerID != partnerID):
		return store.User{}, notFoundf("no such user of this partner")
	case err != nil:
		return store.User{}, err
	case u.Email == botUserEmail(partnerID):
		return store.User{}, notFoundf("no such user of this partner: the chats linked with a partner code are revoked one by one")
	}
	return s.switchUser(ctx, p, partnerID, "user", u, disabled)
}

// backToPartnerUsers ends a partner user form: the partner page's users.
func (s *Server) backToPartnerUsers(w http.ResponseWriter, r *http.Request) error {
	return s.backToPartner(w, r, "#users")
}
