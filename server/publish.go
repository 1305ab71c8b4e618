package server

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"

	"github.com/golive-cert/golive/reports"
	"github.com/golive-cert/golive/server/store"
)

// maxPublishBody bounds an upload: results.json and the report files of
// one run.
const maxPublishBody = 256 << 20

// Publish form fields (golive run --publish sends them).
const (
	PublishResultsField  = "results"  // results.json
	PublishArtifactField = "artifact" // each further report file, by its file name
)

// apiPublish stores a run made elsewhere (golive run --publish): the form
// carries results.json and the report files; they appear in the partner's
// history together or not at all.
func (s *Server) apiPublish(w http.ResponseWriter, r *http.Request, c *caller) error {
	partnerID := r.PathValue("partner")
	if _, err := s.store.GetPartner(r.Context(), c.p, partnerID); err != nil {
		return err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return badRequest("send multipart/form-data with a %q file (results.json) and %q files", PublishResultsField, PublishArtifactField)
	}
	var pub store.Publication
	pub.PartnerID = partnerID
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return uploadProblem(err)
		}
		data, err := io.ReadAll(io.LimitReader(part, store.MaxArtifactSize+1))
		if err != nil {
			return uploadProblem(err)
		}
		if len(data) > store.MaxArtifactSize {
			return &InputError{Status: http.StatusRequestEntityTooLarge, Msg: "a file of the upload exceeds 64 MiB"}
		}
		switch part.FormName() {
		case PublishResultsField:
			pub.Results = data
		case PublishArtifactField:
			name := path.Base(part.FileName())
			pub.Artifacts = append(pub.Artifacts, store.Artifact{Name: name, ContentType: contentTypeOf(name), Content: data})
		default:
			return badRequest("unknown form field %q: want %q and %q", truncate(part.FormName(), 40), PublishResultsField, PublishArtifactField)
		}
	}
	if pub.Results == nil {
		return badRequest("the upload has no %q file: results.json is required", PublishResultsField)
	}
	hasResults := false
	for _, a := range pub.Artifacts {
		hasResults = hasResults || a.Name == reports.ResultsFile
	}
	if !hasResults {
		// results.json is kept among the files as well, as for hub runs.
		pub.Artifacts = append(pub.Artifacts, store.Artifact{Name: reports.ResultsFile, ContentType: "application/json", Content: pub.Results})
	}
	run, err := s.store.PublishRun(r.Context(), c.p, pub)
	s.audit(r.Context(), c.p, partnerID, "run.publish", "run "+strconv.FormatInt(run.ID, 10),
		map[string]string{"files": strconv.Itoa(len(pub.Artifacts))}, err)
	if err != nil {
		return err
	}
	s.afterRun(r.Context(), run, runPayload{})
	w.Header().Set("Location", "/api/v1/runs/"+strconv.FormatInt(run.ID, 10))
	writeJSON(w, http.StatusCreated, runJSON(run))
	return nil
}

func uploadProblem(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &InputError{Status: http.StatusRequestEntityTooLarge, Msg: "the upload exceeds 256 MiB"}
	}
	if errors.Is(err, multipart.ErrMessageTooLarge) {
		return &InputError{Status: http.StatusRequestEntityTooLarge, Msg: "the upload's headers are too large"}
	}
	return badRequest("the upload is not a valid multipart body")
}

func contentTypeOf(name string) string {
	switch path.Ext(name) {
	case ".json":
		return "application/json"
	case ".xml":
		return "application/xml"
	case ".html":
		return "text/html; charset=utf-8"
	}
	return "application/octet-stream"
}
