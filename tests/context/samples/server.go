// Package server runs the HTTP front end.
package server

import (
	"context"
	"net/http"
)

// DefaultPort is the port used when none is configured.
const DefaultPort = 8080

// Config holds the server settings.
type Config struct {
	Port int
	Host string
}

// Handler serves one route.
type Handler interface {
	Serve(w http.ResponseWriter, r *http.Request) error
}

// Server is the HTTP front end.
type Server struct {
	cfg Config
}

// NewServer builds a server from cfg.
func NewServer(cfg Config) *Server {
	s := &Server{cfg: cfg} // BODY_MARKER
	return s
}

// Start runs the server until ctx is done.
func (s *Server) Start(ctx context.Context) error {
	<-ctx.Done() // BODY_MARKER
	return nil
}
