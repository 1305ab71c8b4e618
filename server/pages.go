package server

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/golive-cert/golive/server/store"
)

//go:embed web/templates/*.html web/static/*
var webFiles embed.FS

// pages are the parsed templates: each page is the layout plus its own
// "content", parsed apart so that every page can define it.
type pages struct {
	byName map[string]*template.Template
	static fs.FS
}

func loadPages() (*pages, error) {
	funcs := template.FuncMap{
		"fmtTime": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return fmtTime(v)
			case *time.Time:
				if v != nil {
					return fmtTime(*v)
				}
			}
			return ""
		},
		"join": joinAPIs,
		"has":  slices.Contains[[]string],
	}
	names, err := fs.Glob(webFiles, "web/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("server: templates: %w", err)
	}
	pg := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(webFiles, "web/templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("server: template %s: %w", base, err)
		}
		pg.byName[base] = t
	}
	if pg.static, err = fs.Sub(webFiles, "web/static"); err != nil {
		return nil, fmt.Errorf("server: static files: %w", err)
	}
	return pg, nil
}

// pageData is what every page gets.
type pageData struct {
	Title string
	User  *store.User
	Staff bool
	CSRF  string
	Data  any
}

func (s *Server) pageFor(c *caller, title string, data any) pageData {
	pd := pageData{Title: title, Data: data}
	if c != nil {
		u := c.user
		pd.User, pd.Staff, pd.CSRF = &u, c.p.Staff(), c.csrf()
	}
	return pd
}

// render executes a page into a buffer first, so a template error is a
// clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, pd pageData) error {
	t, ok := s.pages.byName[name]
	if !ok {
		return fmt.Errorf("server: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pd); err != nil {
		return fmt.Errorf("server: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

func (s *Server) renderError(w http.ResponseWriter, c *caller, status int, msg string) {
	data := struct {
		Status     int
		StatusText string
		Message    string
	}{status, http.StatusText(status), msg}
	if err := s.render(w, status, "error", s.pageFor(c, http.StatusText(status), data)); err != nil {
		s.log.Error("render error page", "err", err)
		http.Error(w, msg, status)
	}
}

func (s *Server) static(w http.ResponseWriter, r *http.Request, _ *caller) error {
	name := r.PathValue("name")
	data, err := fs.ReadFile(s.pages.static, name)
	if err != nil {
		return notFoundf("no such file: %s", truncate(name, 60))
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(data)
	return nil
}
