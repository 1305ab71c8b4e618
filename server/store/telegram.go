package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TelegramLink ties a Telegram chat to a hub user: the bot acts as that user.
type TelegramLink struct {
	ChatID   int64
	UserID   string
	LinkedAt time.Time
}

// CreateLinkCode issues a one-time code that links a Telegram chat to the
// principal's own user (the user sends "/link CODE" to the bot). Only its
// hash is stored; it expires after ttl and works once.
func (s *Store) CreateLinkCode(ctx context.Context, p Principal, ttl time.Duration) (string, time.Time, error) {
	if p.UserID == "" {
		return "", time.Time{}, fmt.Errorf("store: link code needs a signed-in user: %w", ErrForbidden)
	}
	if ttl <= 0 || ttl > 24*time.Hour {
		return "", time.Time{}, fmt.Errorf("store: link code lifetime must be within 24h: %w", ErrInvalid)
	}
	code := randomSecret("")[:16] // 96 bits: short enough to type, long enough not to guess in its lifetime
	now := s.now()
	exp := fromTS(ts(now.Add(ttl)))
	err := s.tx(ctx, func(tx *sql.Tx) error {
		enabled, err := s.holdEnabledUser(ctx, tx, p.UserID)
		if err != nil {
			return err
		}
		if !enabled {
			return errDisabledUser
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO telegram_link_codes (code_hash, user_id, created_at, expires_at)
			VALUES ($1, $2, $3, $4)`, secretHash(code), p.UserID, ts(now), ts(exp))
		return s.wrap("create link code", err)
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return code, exp, nil
}

// RedeemLinkCode links chatID to the code's user, once: a used, expired or
// unknown code, or a disabled user's, is ErrUnauthenticated. Relinking a
// chat moves it to the new user.
func (s *Store) RedeemLinkCode(ctx context.Context, code string, chatID int64) (TelegramLink, error) {
	now := ts(s.now())
	var link TelegramLink
	unknown := fmt.Errorf("store: link code: %w", ErrUnauthenticated)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// The code's user is held before the code is taken, in the order
		// SetUserDisabled takes them (the user, then its codes and links):
		// a disabled user's code links nothing.
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM telegram_link_codes WHERE code_hash = $1`,
			secretHash(code)).Scan(&link.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return unknown
		}
		if err != nil {
			return s.wrap("redeem link code", err)
		}
		enabled, err := s.holdEnabledUser(ctx, tx, link.UserID)
		if err != nil {
			return err
		}
		if !enabled {
			return unknown
		}
		// The UPDATE both checks and consumes the code, so two concurrent
		// redemptions cannot both succeed.
		err = tx.QueryRowContext(ctx, `UPDATE telegram_link_codes SET used_at = $1
			WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id`,
			now, secretHash(code)).Scan(&link.UserID)
		if errors.Is(err, sql.ErrNoRows) {
			return unknown
		}
		if err != nil {
			return s.wrap("redeem link code", err)
		}
		link.ChatID, link.LinkedAt = chatID, fromTS(now)
		_, err = tx.ExecContext(ctx, `INSERT INTO telegram_links (chat_id, user_id, linked_at) VALUES ($1, $2, $3)
			ON CONFLICT (chat_id) DO UPDATE SET user_id = excluded.user_id, linked_at = excluded.linked_at`,
			chatID, link.UserID, now)
		return s.wrap("redeem link code", err)
	})
	if err != nil {
		return TelegramLink{}, err
	}
	return link, nil
}

// ChatUser resolves a linked chat to its (enabled) user; an unlinked chat or
// a disabled user is ErrUnauthenticated.
func (s *Store) ChatUser(ctx context.Context, chatID int64) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns("u.")+`
		FROM telegram_links l JOIN users u ON u.id = l.user_id WHERE l.chat_id = $1 AND u.disabled = FALSE`, chatID))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, fmt.Errorf("store: chat: %w", ErrUnauthenticated)
	}
	if err != nil {
		return User{}, s.wrap("chat user", err)
	}
	return u, nil
}

// ListTelegramLinks lists the chats linked to a user the principal
// administers (or to itself).
func (s *Store) ListTelegramLinks(ctx context.Context, p Principal, userID string) ([]TelegramLink, error) {
	if err := s.canAdminister(ctx, p, userID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT chat_id, user_id, linked_at FROM telegram_links WHERE user_id = $1
		ORDER BY linked_at`, userID)
	if err != nil {
		return nil, s.wrap("list telegram links", err)
	}
	defer rows.Close()
	out := []TelegramLink{}
	for rows.Next() {
		var l TelegramLink
		var at int64
		if err := rows.Scan(&l.ChatID, &l.UserID, &at); err != nil {
			return nil, s.wrap("list telegram links", err)
		}
		l.LinkedAt = fromTS(at)
		out = append(out, l)
	}
	return out, s.wrap("list telegram links", rows.Err())
}

// UnlinkTelegram removes a chat link of a user the principal administers.
func (s *Store) UnlinkTelegram(ctx context.Context, p Principal, chatID int64) error {
	var userID string
	err := s.db.QueryRowContext(ctx, `SELECT user_id FROM telegram_links WHERE chat_id = $1`, chatID).Scan(&userID)
	if err != nil {
		return notFound("telegram link", s.wrap("unlink telegram", err))
	}
	if err := s.canAdminister(ctx, p, userID); err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `DELETE FROM telegram_links WHERE chat_id = $1`, chatID)
	return affectedOne(res, err, "telegram link", s)
}
