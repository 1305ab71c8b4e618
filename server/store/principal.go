package store

import "fmt"

// Role of a user. Staff (admin, bau) see every partner; a partner's user sees
// only its own partner.
type Role string

const (
	RoleAdmin   Role = "admin"
	RoleBAU     Role = "bau"
	RolePartner Role = "partner"
	// RoleSystem is the hub itself (worker, scheduler): never a user's role,
	// only a Principal built with System().
	RoleSystem Role = "system"
)

func (r Role) userRole() bool { return r == RoleAdmin || r == RoleBAU || r == RolePartner }

// Principal is who acts: every partner-scoped method takes one.
type Principal struct {
	UserID    string
	Role      Role
	PartnerID string // set for RolePartner only
}

// System is the principal of the hub's own work (the run worker, the
// scheduler, start-up recovery).
func System() Principal { return Principal{Role: RoleSystem} }

// PrincipalOf is the principal acting as u.
func PrincipalOf(u User) Principal {
	return Principal{UserID: u.ID, Role: u.Role, PartnerID: u.PartnerID}
}

// Staff reports whether p acts for the BAU team (or is the hub itself).
func (p Principal) Staff() bool {
	return p.Role == RoleAdmin || p.Role == RoleBAU || p.Role == RoleSystem
}

// canRead is the one isolation rule for reads: staff read everything, a
// partner's user reads its own partner's rows, and anything else looks like
// it does not exist.
func (p Principal) canRead(partnerID string) error {
	switch {
	case p.Staff():
		return nil
	case p.Role == RolePartner && p.PartnerID != "" && p.PartnerID == partnerID:
		return nil
	default:
		return fmt.Errorf("partner: %w", ErrNotFound)
	}
}

// canAct is for actions a partner's user may take on its own partner
// (start a run, publish a run, open a UAT session).
func (p Principal) canAct(partnerID string) error { return p.canRead(partnerID) }

// canManage is for changes only staff make (partner profile, environments,
// sign-offs, schedules): a partner's user gets ErrForbidden on its own
// partner and ErrNotFound on another's.
func (p Principal) canManage(partnerID string) error {
	if err := p.canRead(partnerID); err != nil {
		return err
	}
	if !p.Staff() {
		return fmt.Errorf("staff only: %w", ErrForbidden)
	}
	return nil
}

// staffOnly guards actions that are not scoped to one partner.
func (p Principal) staffOnly() error {
	if !p.Staff() {
		return fmt.Errorf("staff only: %w", ErrForbidden)
	}
	return nil
}

// adminOnly guards user management of staff accounts.
func (p Principal) adminOnly() error {
	if p.Role != RoleAdmin && p.Role != RoleSystem {
		return fmt.Errorf("admin only: %w", ErrForbidden)
	}
	return nil
}
