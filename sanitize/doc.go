// Package sanitize guards a service's trust boundary: HTML sanitizing on bluemonday, input
// validation that understands Unicode, hardened JSON request decoding, and safe paths and URLs.
//
// The package is being built; see the project's Status table in README.md for what has landed.
package sanitize
