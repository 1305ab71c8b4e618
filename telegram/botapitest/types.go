// Package botapitest is a local server on 127.0.0.1 that speaks the Telegram
// Bot API's HTTP protocol (POST /bot<TOKEN>/<method>, JSON, form or multipart
// bodies, {"ok":...} envelopes, error_code and retry_after), so a bot can be
// tested end to end without the Internet. Tests inject updates, read what the
// bot sent, and make the next calls fail with 429, 5xx or a dropped
// connection.
//
// Its types are its own, written from the Bot API documentation rather than
// borrowed from the client library under test, so that a disagreement between
// the two shows up as a failing test.
package botapitest

import (
	"encoding/json"
	"time"
)

// User is the Bot API's User object (the fields golive's bot reads).
type User struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	Username  string `json:"username,omitempty"`
}

// Chat is the Bot API's Chat object.
type Chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"` // private, group, supergroup, channel
	Title     string `json:"title,omitempty"`
	Username  string `json:"username,omitempty"`
	FirstName string `json:"first_name,omitempty"`
}

// PrivateChat is a one-to-one chat with user id (Telegram gives a private
// chat the user's id).
func PrivateChat(id int64) Chat {
	return Chat{ID: id, Type: "private", FirstName: "Partner"}
}

// GroupChat is a group; Telegram gives groups negative ids.
func GroupChat(id int64, title string) Chat {
	return Chat{ID: id, Type: "group", Title: title}
}

// MessageEntity marks a part of a message's text, e.g. a bot command.
type MessageEntity struct {
	Type   string `json:"type"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

// Document is a file the bot sent or received.
type Document struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	FileSize int    `json:"file_size,omitempty"`
}

// Message is the Bot API's Message object.
type Message struct {
	MessageID   int             `json:"message_id"`
	From        *User           `json:"from,omitempty"`
	Date        int64           `json:"date"`
	Chat        Chat            `json:"chat"`
	Text        string          `json:"text,omitempty"`
	Entities    []MessageEntity `json:"entities,omitempty"`
	Caption     string          `json:"caption,omitempty"`
	Document    *Document       `json:"document,omitempty"`
	ReplyMarkup json.RawMessage `json:"reply_markup,omitempty"`
}

// CallbackQuery is a press on an inline keyboard button.
type CallbackQuery struct {
	ID           string   `json:"id"`
	From         User     `json:"from"`
	Message      *Message `json:"message,omitempty"`
	ChatInstance string   `json:"chat_instance"`
	Data         string   `json:"data,omitempty"`
}

// Update is the Bot API's Update object.
type Update struct {
	UpdateID      int64          `json:"update_id"`
	Message       *Message       `json:"message,omitempty"`
	CallbackQuery *CallbackQuery `json:"callback_query,omitempty"`
}

// Sent is one call the bot made that sends something to a chat
// (sendMessage, sendDocument) or answers a button (answerCallbackQuery).
type Sent struct {
	Method      string
	ChatID      int64
	Text        string // message text, or a document's caption
	ParseMode   string
	ReplyMarkup string // JSON, as sent
	Document    *SentFile
	// CallbackQueryID is set for answerCallbackQuery.
	CallbackQueryID string
	MessageID       int
	At              time.Time // when the server received the call
}

// SentFile is an uploaded document.
type SentFile struct {
	Name string
	Data []byte
}

// FaultKind is how a call fails.
type FaultKind int

const (
	// TooManyRequests answers 429 with parameters.retry_after.
	TooManyRequests FaultKind = iota + 1
	// ServerError answers a 5xx: JSON for 500, an HTML proxy page for 502,
	// as Telegram's front end does.
	ServerError
	// Unreachable drops the connection without an answer.
	Unreachable
)

// Fault makes one call fail.
type Fault struct {
	Kind       FaultKind
	RetryAfter int    // seconds, for TooManyRequests
	Status     int    // for ServerError (default 500)
	Method     string // only calls of this method (case-insensitive); empty: any
}
