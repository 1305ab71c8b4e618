package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golive-cert/golive/results"
	"github.com/golive-cert/golive/server/store"
	"github.com/golive-cert/golive/telegram"
)

// Replica-to-replica calls. A live UAT session lives in the memory of the
// replica that opened it. A person's request carries their own credential
// and is forwarded as it is (uat_forward.go); the bot has none to forward,
// so the replica running the bot asks the session's owner itself, in a
// call signed for the user the chat is linked to:
//
//	POST {owner URL}/internal/v1/partners/{partner}/uat-sessions/{session}/close
//	X-Golive-Forwarded-By:      the calling replica's worker name
//	X-Golive-Replica-User:      the acting user's id
//	X-Golive-Replica-Time:      Unix seconds
//	X-Golive-Replica-Signature: hex HMAC-SHA256 under the replica key
//
// The replica key is derived from the hub's sealing key (HKDF-SHA256 with
// info replicaKeyPurpose, store.Keyring.DeriveKeys): every replica of a
// PostgreSQL hub has the same GOLIVE_SECRET_KEY, so the same replica key,
// and neither key is ever sent. A SQLite hub is one process: it never calls.
// The signature covers a version tag, the method, the path, the session,
// the user, the calling replica and the time, each length-prefixed. The
// owner checks it in constant time against a key derived from each key it
// holds (a call signed with a key being retired still passes), the time
// within replicaSkew, then acts as the user exactly as the API's close
// would: an unknown or disabled user is refused, another partner's session
// is not found. Every refusal of the call itself is the same bare 401; the
// owner's log says which check failed, never a signature or a key. A call
// is never forwarded again. A captured call can only be replayed within
// replicaSkew, to the same session, which closes once.

// replicaKeyPurpose is the HKDF info of the replica key.
const replicaKeyPurpose = "golive replica forward v1"

// replicaSignatureTag starts every signed message (a new format, a new tag).
const replicaSignatureTag = "golive replica call v1"

// Headers of a replica call (forwardedHeader names the calling replica).
const (
	replicaUserHeader      = "X-Golive-Replica-User"
	replicaTimeHeader      = "X-Golive-Replica-Time"
	replicaSignatureHeader = "X-Golive-Replica-Signature"
)

// replicaSkew bounds the difference between a call's time and the owner's
// clock, either way.
const replicaSkew = 60 * time.Second

// internalPrefix starts the routes only replicas call.
const internalPrefix = "/internal/v1"

// newReplicaClient makes replica calls and forwards UAT traffic to the
// replica that runs a session (one per Server): the close grades and stores
// the session, well within the bound; a redirect is never followed. Replicas
// talk to each other directly, never through HTTP_PROXY: a proxy set for the
// hub's outbound traffic (webhooks, the partner's targets) would otherwise
// carry, and could log, calls that name a user between two hosts of the
// same deployment.
func newReplicaClient() *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	return &http.Client{Timeout: time.Minute, Transport: t,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// errReplicaRefused answers every replica call that fails its checks.
var errReplicaRefused = &InputError{Status: http.StatusUnauthorized, Msg: "unauthenticated"}

// replicaMAC is the signature of one call under key.
func replicaMAC(key []byte, method, path, session, user, via string, at int64) []byte {
	m := hmac.New(sha256.New, key)
	for _, f := range []string{replicaSignatureTag, method, path, session, user, via, strconv.FormatInt(at, 10)} {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		m.Write(n[:])
		m.Write([]byte(f))
	}
	return m.Sum(nil)
}

// plainHeader is a header value that may name a user or a replica: short,
// UTF-8, no control characters (it reaches the database and the audit log).
func plainHeader(v string, max int) bool {
	return v != "" && len(v) <= max && utf8.ValidString(v) && !strings.ContainsFunc(v, unicode.IsControl)
}

// authenticateReplica checks a replica call and is its user.
func (s *Server) authenticateReplica(r *http.Request) (*caller, error) {
	refuse := func(why string) (*caller, error) {
		s.log.Warn("replica call refused", "path", r.URL.Path, "why", why)
		return nil, errReplicaRefused
	}
	keys := s.store.DerivedKeys(replicaKeyPurpose)
	if len(keys) == 0 {
		return refuse("this hub has no secret key")
	}
	via, user := r.Header.Get(forwardedHeader), r.Header.Get(replicaUserHeader)
	if !plainHeader(via, 100) || !plainHeader(user, 200) {
		return refuse("no calling replica or user")
	}
	at, err := strconv.ParseInt(r.Header.Get(replicaTimeHeader), 10, 64)
	if err != nil {
		return refuse("no time")
	}
	if d := s.cfg.Now().Sub(time.Unix(at, 0)); d > replicaSkew || d < -replicaSkew {
		return refuse("time outside ±60s of this replica's clock")
	}
	sig, err := hex.DecodeString(r.Header.Get(replicaSignatureHeader))
	if err != nil || len(sig) != sha256.Size {
		return refuse("no signature")
	}
	ok := 0
	for _, k := range keys {
		if hmac.Equal(sig, replicaMAC(k, r.Method, r.URL.Path, r.PathValue("session"), user, via, at)) {
			ok++
		}
	}
	if ok == 0 {
		return refuse("bad signature (do the replicas share " + store.EnvSecretKey + "?)")
	}
	u, err := s.store.GetUser(r.Context(), store.System(), user)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refuse("unknown user")
	case err != nil:
		return nil, err
	case u.Disabled:
		return refuse("disabled user")
	}
	return &caller{user: u, p: store.PrincipalOf(u), via: via}, nil
}

// ReplicaCloseJSON answers a replica's close: the session as the API shows
// it. TelegramNotified is always true: the close queued the chats'
// messages in the store's Telegram outbox, which the bot's replica sends
// (it stays so that a bot replica of the previous version, which told the
// chats itself when it read false, sends nothing twice during an upgrade).
type ReplicaCloseJSON struct {
	Session          UATSessionJSON `json:"session"`
	TelegramNotified bool           `json:"telegramNotified"`
}

// replicaCloseUAT closes a session this replica serves for the bot of
// another replica, as the user the call names. It is never forwarded.
func (s *Server) replicaCloseUAT(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.closeUATWith(r.Context(), c.p, r.PathValue("partner"), r.PathValue("session"),
		map[string]string{"via": "Telegram bot on replica " + c.via})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ReplicaCloseJSON{Session: s.uatJSON(u), TelegramNotified: true})
	return nil
}

// chatPartnerUser is the user a chat is linked to, when it is the
// partner's; a chat unlinked since the bot looked, or not the partner's,
// reads as a missing session.
func (s *Server) chatPartnerUser(ctx context.Context, chat telegram.ChatID, partnerID string) (store.User, error) {
	user, err := s.store.ChatUser(ctx, int64(chat))
	if errors.Is(err, store.ErrUnauthenticated) || err == nil && (user.Role != store.RolePartner || user.PartnerID != partnerID) {
		return store.User{}, fmt.Errorf("server: UAT session for chat: %w", store.ErrNotFound)
	}
	return user, err
}

// closeOnOwner closes a session another replica serves, for the user the
// chat is linked to, through that replica's internal route; the owner
// grades it, stores it, and queues the webhooks' deliveries and the
// chats' messages (which the bot's replica sends).
func (s *Server) closeOnOwner(ctx context.Context, user store.User, partnerID string, sess store.UATSession, elsewhere error) (store.UATSession, error) {
	keys := s.store.DerivedKeys(replicaKeyPurpose)
	base, err := url.Parse(sess.OwnerURL)
	if len(keys) == 0 || sess.OwnerURL == "" || err != nil {
		return store.UATSession{}, elsewhere // nothing to sign with, or nowhere to call
	}
	// The path as the owner reads it (r.URL.Path), which is what is signed.
	target := *base
	target.Path = strings.TrimSuffix(base.Path, "/") + internalPrefix + "/partners/" + partnerID + "/uat-sessions/" + sess.ID + "/close"
	target.RawPath, target.RawQuery, target.Fragment = "", "", ""
	at := s.cfg.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), nil)
	if err != nil {
		return store.UATSession{}, fmt.Errorf("server: replica call: %w", err)
	}
	req.Header.Set(forwardedHeader, s.cfg.WorkerName)
	req.Header.Set(replicaUserHeader, user.ID)
	req.Header.Set(replicaTimeHeader, strconv.FormatInt(at, 10))
	req.Header.Set(replicaSignatureHeader,
		hex.EncodeToString(replicaMAC(keys[0], http.MethodPost, target.Path, sess.ID, user.ID, s.cfg.WorkerName, at)))
	resp, err := s.replica.Do(req)
	if err != nil {
		s.log.Warn("UAT session owner unreachable", "session", sess.ID, "owner", sess.Owner, "err", err)
		return store.UATSession{}, s.ownerUnreachable(partnerID, sess.ID)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody))
	if err != nil {
		s.log.Warn("UAT session owner's answer cut", "session", sess.ID, "owner", sess.Owner, "err", err)
		return store.UATSession{}, s.ownerUnreachable(partnerID, sess.ID)
	}
	switch st := resp.StatusCode; {
	case st == http.StatusOK:
		var out ReplicaCloseJSON
		if err := json.Unmarshal(body, &out); err != nil || out.Session.ID != sess.ID || out.Session.PartnerID != partnerID {
			s.log.Error("UAT session owner's answer unreadable", "session", sess.ID, "owner", sess.Owner)
			return store.UATSession{}, s.ownerUnreachable(partnerID, sess.ID)
		}
		return out.Session.stored(), nil
	case st == http.StatusNotFound && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json"):
		// The hub's own answer: the session is missing, or not the user's
		// to close (a replica without the route answers with a page).
		return store.UATSession{}, fmt.Errorf("server: UAT session on its owner: %w", store.ErrNotFound)
	case st == http.StatusUnauthorized:
		s.log.Error("the replica serving a UAT session refused this replica's signed call: every replica needs the same "+
			store.EnvSecretKey+" and a synchronised clock", "session", sess.ID, "owner", sess.Owner)
		return store.UATSession{}, s.ownerUnreachable(partnerID, sess.ID)
	case st >= 400 && st < 500:
		// The owner's refusal of the close itself, worded for users (409:
		// already closed, or ending).
		var e APIError
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return store.UATSession{}, &InputError{Status: st, Msg: truncate(e.Error, 300)}
		}
	}
	s.log.Warn("UAT session owner failed the close", "session", sess.ID, "owner", sess.Owner, "status", resp.StatusCode)
	return store.UATSession{}, s.ownerUnreachable(partnerID, sess.ID)
}

// ownerUnreachable is the one line a chat gets when the replica serving
// its session cannot be asked.
func (s *Server) ownerUnreachable(partnerID, id string) error {
	where := "your partner page"
	if s.cfg.PublicURL != "" {
		where += " (" + strings.TrimSuffix(s.cfg.PublicURL, "/") + uatPath(partnerID, id) + ")"
	}
	return &InputError{Status: http.StatusBadGateway,
		Msg: "the hub replica serving this session is not answering. Try again in a minute, or close it from " + where + "."}
}

// stored is the session an API answer describes.
func (j UATSessionJSON) stored() store.UATSession {
	u := store.UATSession{ID: j.ID, PartnerID: j.PartnerID, APIs: j.APIs, State: store.UATState(j.State),
		Source: store.UATSource(j.Source), BaseURL: j.BaseURL, Verdict: results.VerdictStatus(j.Verdict),
		EndReason: j.EndReason, StartedAt: j.StartedAt}
	if j.EndedAt != nil {
		u.EndedAt = *j.EndedAt
	}
	if j.Deadline != nil {
		u.Deadline = *j.Deadline
	}
	return u
}
