// Package tlsutil hardens the transport of a Go service: TLS server and client configurations,
// certificate reload, a hardened http.Server and http.Client with an SSRF guard, and security
// headers.
//
// The package is being built; see the project's Status table in README.md for what has landed.
package tlsutil
