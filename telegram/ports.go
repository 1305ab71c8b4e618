package telegram

import (
	"context"
	"time"

	"github.com/golive-cert/golive/doctor"
)

// The interfaces below are what the hub (golive server) gives the bot. Each
// is small so the hub can implement it over its store and services, and tests
// over fakes. Every method that takes a partner acts for that partner only:
// the bot passes the partner its chat is linked to, never one a user typed.

// ChatID is a Telegram chat id (negative for groups).
type ChatID int64

// Role is what a linked chat may do.
type Role string

const (
	RolePartner Role = "partner" // a partner's own chat: acts on that partner only
	RoleStaff   Role = "staff"   // a BAU staff chat: notifications, FAQ, staff tools
)

// Chat is a chat the bot talks in.
type Chat struct {
	ID ChatID
	// Private is true for a one-to-one chat with the bot. Secrets (tokens,
	// tool answers marked secret) are sent only to private chats.
	Private bool
	Title   string
}

// Identity is who a linked chat speaks for.
type Identity struct {
	Role    Role
	Partner string // the partner's id; empty for staff
}

// Links binds chats to partners or staff with one-time codes that BAU staff
// create (web page, `golive partner link NAME`).
type Links interface {
	// Redeem binds chat to the code's partner (or to staff). A code works
	// once and expires; a bad code is a *LinkError.
	Redeem(ctx context.Context, code string, chat Chat) (Identity, error)
	// Lookup is the chat's identity now, or ErrNotLinked. The bot calls it on
	// every update and caches nothing, so a revoked link stops at once.
	Lookup(ctx context.Context, chat ChatID) (Identity, error)
	// Revoke unbinds the chat (the /unlink command; the hub revokes too).
	Revoke(ctx context.Context, chat ChatID) error
	// PartnerChats and StaffChats are where notifications go.
	PartnerChats(ctx context.Context, partner string) ([]Chat, error)
	StaffChats(ctx context.Context) ([]Chat, error)
}

// Partner is a partner's profile as the bot needs it.
type Partner struct {
	ID   string
	Name string
	APIs []string // BAU API names the partner integrates (collections, payouts, ...)
	// Endpoint is the registered staging base URL that /doctor and /run use;
	// empty when none is registered yet.
	Endpoint string
}

// Directory reads partner profiles.
type Directory interface {
	// Partner is the profile, or ErrNotFound.
	Partner(ctx context.Context, id string) (Partner, error)
}

// Token is a sandbox credential issued for one API.
type Token struct {
	API       string
	Value     string // a secret: only ever sent to a private chat
	ExpiresAt time.Time
}

// Transaction is a sandbox transaction's state and history.
type Transaction struct {
	Ref      string
	API      string
	Status   string
	Amount   string // exact decimal as the API carries it
	Currency string
	History  []TxEvent
}

// TxEvent is one step in a transaction's history.
type TxEvent struct {
	At     time.Time
	Status string
	Note   string
}

// Delivery is the result of resending a callback.
type Delivery struct {
	URL    string
	Status int    // the partner's HTTP answer; 0 when none came
	Error  string // why it was not delivered, for the partner to act on
	// Latency is from sending to the answer (or the failure); 0: unknown.
	Latency time.Duration
}

// Outcome is a sandbox transaction's forced final state.
type Outcome string

const (
	OutcomeSuccess Outcome = "success"
	OutcomeFailed  Outcome = "failed"
)

// Sandbox is the team's internal test tools over the sandbox. References
// belong to partners: one of another partner is ErrNotFound, exactly like a
// reference that does not exist.
type Sandbox interface {
	IssueToken(ctx context.Context, partner, api string) (Token, error)
	Transaction(ctx context.Context, partner, ref string) (Transaction, error)
	ResendCallback(ctx context.Context, partner, ref string) (Delivery, error)
	ForceOutcome(ctx context.Context, partner, ref string, o Outcome) (Transaction, error)
}

// Doctor diagnoses connectivity from golive to the partner's registered
// endpoint, layer by layer (doctor.Probe), with the commands the partner can
// run from its side.
type Doctor interface {
	Diagnose(ctx context.Context, partner string) (*doctor.Report, error)
}

// RunRequest asks for a certification of the partner's staging endpoint.
type RunRequest struct {
	Partner string
	API     string
	Chat    ChatID // who asked: the verdict and the report go back there
}

// Runs starts certifications. The hub reports the end with a RunFinished
// event (Messages, sent with Deliver) carrying RunRequest.Chat as ReplyTo.
type Runs interface {
	Start(ctx context.Context, req RunRequest) (runID string, err error)
}

// APIProgress is a partner's checklist progress on one API.
type APIProgress struct {
	API    string
	Passed int
	Total  int
	Stage  string   // e.g. "SIT", "UAT", "certified", "live"
	Open   []string // item ids still failing or not run
}

// Progress reads checklist progress across a partner's SIT/UAT sessions.
type Progress interface {
	Progress(ctx context.Context, partner string) ([]APIProgress, error)
}

// UATState is where a client UAT session is.
type UATState string

const (
	UATOpen        UATState = "open"
	UATClosed      UATState = "closed"
	UATInterrupted UATState = "interrupted" // the hub stopped while it was open
)

// UATSession is a session in which the partner's own client plays the UAT
// cases against a sandbox the hub serves for it.
type UATSession struct {
	ID      string
	APIs    []string
	State   UATState
	Verdict string // once ended: CERTIFIED, NOT CERTIFIED, ...
	BaseURL string // where the partner's client sends its requests
	Started time.Time
	Ended   time.Time // zero while open
	// Deadline ends an open session by itself; zero: none.
	Deadline  time.Time
	EndReason string
	// Progress of an open session; nil when the hub cannot tell (another
	// replica serves it).
	Progress *UATProgress
}

// UATProgress is how far an open session's client got.
type UATProgress struct {
	CasesSeen, CasesTotal int
	Problems              int
}

// UATCredentials are issued for one session; all three are secrets.
type UATCredentials struct {
	ClientID    string
	APIKey      string
	ChecksumKey string
}

// UATCase is one case the partner's client plays.
type UATCase struct {
	ID     string // "collections.maintenance"
	Title  string
	Values string // which test values trigger it
}

// UATOpened is what opening a session gives, once: the credentials are
// never shown again.
type UATOpened struct {
	Session     UATSession
	Credentials UATCredentials
	Cases       []UATCase
}

// UAT runs client UAT sessions. A session of another partner is
// ErrNotFound, exactly like one that does not exist; a request the hub
// refuses as it stands (an unknown or unregistered API, a bad deadline, a
// session already closed) is an *InputError saying what to change.
type UAT interface {
	// OpenUAT opens a session for the chat that asks (the hub acts as the
	// user the chat is linked to) for apis (none: every API of the partner
	// a session covers) until deadline ("2h", an RFC 3339 time; "": none).
	OpenUAT(ctx context.Context, partner string, chat ChatID, apis []string, deadline string) (UATOpened, error)
	// UATSessions lists the partner's sessions, newest first.
	UATSessions(ctx context.Context, partner string) ([]UATSession, error)
	// CloseUAT ends an open session for the chat that asks (the hub acts
	// as the user the chat is linked to); the hub then grades it and
	// notifies the partner's chats (EventUATCompleted) with the report.
	CloseUAT(ctx context.Context, partner string, chat ChatID, id string) (UATSession, error)
}

// FAQAnswer is one matching answer.
type FAQAnswer struct {
	API     string
	Title   string
	Link    string
	Snippet string
}

// FAQ finds the best matching answers among the FAQs of the given APIs.
// telegram/faq implements it over docs/faq/*.md.
type FAQ interface {
	Search(ctx context.Context, apis []string, query string, limit int) ([]FAQAnswer, error)
}

// AuditEntry is one command or tool call. Params hold no secret: the bot
// masks them before recording.
type AuditEntry struct {
	At      time.Time
	Chat    ChatID
	User    int64 // the Telegram user; 0 for calls from another front end
	Caller  string
	Role    Role
	Partner string
	Action  string // "/token", "tool:reset_pin", "notify:run_finished"
	Params  map[string]string
	Outcome AuditOutcome
	Detail  string
}

// AuditOutcome is how a command ended.
type AuditOutcome string

const (
	AuditOK          AuditOutcome = "ok"
	AuditUsage       AuditOutcome = "usage"        // bad arguments, answered with the usage line
	AuditRefused     AuditOutcome = "refused"      // not allowed here (group chat, role, unlinked)
	AuditNotFound    AuditOutcome = "not_found"    // reference not found (or not the partner's)
	AuditRateLimited AuditOutcome = "rate_limited" // over the per-chat limit
	AuditInvalid     AuditOutcome = "invalid"      // parameters failed their schema; nothing was sent
	AuditError       AuditOutcome = "error"        // the service failed
)

// Audit records every command and tool call; BAU staff read it in the hub.
type Audit interface {
	Record(ctx context.Context, e AuditEntry) error
}

// Services is everything the hub gives the bot; all are required
// (telegram/faq is a FAQ over docs/faq/*.md).
type Services struct {
	Links     Links
	Directory Directory
	Sandbox   Sandbox
	Doctor    Doctor
	Runs      Runs
	Progress  Progress
	UAT       UAT
	FAQ       FAQ
	Audit     Audit
}
