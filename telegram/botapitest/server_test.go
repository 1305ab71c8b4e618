package botapitest_test

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/golive-cert/golive/telegram/botapitest"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

const token = "123456:test-token"

type envelope struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  struct {
		RetryAfter int `json:"retry_after"`
	} `json:"parameters"`
}

var _ = Describe("the local Bot API server", func() {
	var srv *botapitest.Server

	BeforeEach(func() {
		var err error
		srv, err = botapitest.New(token)
		Expect(err).NotTo(HaveOccurred())
		DeferCleanup(srv.Close)
	})

	call := func(method string, body any) (int, envelope) {
		data, err := json.Marshal(body)
		Expect(err).NotTo(HaveOccurred())
		resp, err := http.Post(srv.URL()+"/bot"+token+"/"+method, "application/json", bytes.NewReader(data))
		Expect(err).NotTo(HaveOccurred())
		defer resp.Body.Close()
		var env envelope
		Expect(json.NewDecoder(resp.Body).Decode(&env)).To(Succeed())
		return resp.StatusCode, env
	}

	It("refuses a wrong token with 401", func() {
		resp, err := http.Post(srv.URL()+"/botWRONG/getMe", "application/json", strings.NewReader("{}"))
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusUnauthorized))
	})

	It("answers getMe with the bot user", func() {
		code, env := call("getMe", map[string]any{})
		Expect(code).To(Equal(200))
		Expect(env.OK).To(BeTrue())
		Expect(string(env.Result)).To(ContainSubstring(`"is_bot":true`))
	})

	It("hands out injected updates and forgets those below the offset", func() {
		chat := botapitest.PrivateChat(7)
		first := srv.Text(chat, "/help")
		srv.Text(chat, "/apis")
		_, env := call("getUpdates", map[string]any{"offset": 0, "timeout": 0})
		var ups []botapitest.Update
		Expect(json.Unmarshal(env.Result, &ups)).To(Succeed())
		Expect(ups).To(HaveLen(2))
		Expect(ups[0].UpdateID).To(Equal(first))
		Expect(ups[0].Message.Entities[0].Type).To(Equal("bot_command"))

		_, env = call("getUpdates", map[string]any{"offset": first + 1})
		Expect(json.Unmarshal(env.Result, &ups)).To(Succeed())
		Expect(ups).To(HaveLen(1))
		Expect(ups[0].Message.Text).To(Equal("/apis"))
	})

	It("holds a long poll until an update arrives", func() {
		got := make(chan []botapitest.Update, 1)
		go func() {
			defer GinkgoRecover()
			_, env := call("getUpdates", map[string]any{"timeout": 30})
			var ups []botapitest.Update
			Expect(json.Unmarshal(env.Result, &ups)).To(Succeed())
			got <- ups
		}()
		Eventually(func() int { return srv.Calls("getUpdates") }).Should(Equal(1))
		srv.Text(botapitest.PrivateChat(7), "hello")
		Eventually(got).Should(Receive(HaveLen(1)))
	})

	It("validates sendMessage as Telegram does", func() {
		code, env := call("sendMessage", map[string]any{"chat_id": 99, "text": "hi"})
		Expect(code).To(Equal(400))
		Expect(env.Description).To(ContainSubstring("chat not found"))

		srv.Text(botapitest.PrivateChat(7), "hello")
		code, _ = call("sendMessage", map[string]any{"chat_id": 7, "text": strings.Repeat("x", 4097)})
		Expect(code).To(Equal(400))
		code, _ = call("sendMessage", map[string]any{"chat_id": 7, "text": "hi"})
		Expect(code).To(Equal(200))
		Expect(srv.SentTo(7)).To(ConsistOf(HaveField("Text", "hi")))
	})

	It("takes a document as multipart", func() {
		srv.Text(botapitest.PrivateChat(7), "hello")
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		Expect(mw.WriteField("chat_id", "7")).To(Succeed())
		Expect(mw.WriteField("caption", "report")).To(Succeed())
		fw, err := mw.CreateFormFile("document", "report.html")
		Expect(err).NotTo(HaveOccurred())
		_, _ = fw.Write([]byte("<html></html>"))
		Expect(mw.Close()).To(Succeed())
		resp, err := http.Post(srv.URL()+"/bot"+token+"/sendDocument", mw.FormDataContentType(), &body)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(200))
		sent := srv.SentTo(7)
		Expect(sent).To(HaveLen(1))
		Expect(sent[0].Document.Name).To(Equal("report.html"))
		Expect(string(sent[0].Document.Data)).To(Equal("<html></html>"))
	})

	It("fails the next calls as told", func() {
		srv.FailNext(1, botapitest.Fault{Kind: botapitest.TooManyRequests, RetryAfter: 3})
		srv.FailNext(1, botapitest.Fault{Kind: botapitest.ServerError, Status: 502})
		srv.FailNext(1, botapitest.Fault{Kind: botapitest.Unreachable})
		code, env := call("getMe", map[string]any{})
		Expect(code).To(Equal(429))
		Expect(env.ErrorCode).To(Equal(429))
		Expect(env.Parameters.RetryAfter).To(Equal(3))

		resp, err := http.Post(srv.URL()+"/bot"+token+"/getMe", "application/json", strings.NewReader("{}"))
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(502))

		_, err = http.Post(srv.URL()+"/bot"+token+"/getMe", "application/json", strings.NewReader("{}"))
		Expect(err).To(HaveOccurred())

		code, _ = call("getMe", map[string]any{})
		Expect(code).To(Equal(200))
	})

	It("refuses getUpdates while a webhook is set", func() {
		code, _ := call("setWebhook", map[string]any{"url": "http://127.0.0.1:1/hook", "secret_token": "s3cret"})
		Expect(code).To(Equal(200))
		code, env := call("getUpdates", map[string]any{})
		Expect(code).To(Equal(409))
		Expect(env.ErrorCode).To(Equal(409))
	})
})
