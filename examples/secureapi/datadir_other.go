//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd)

package main

// lockDataDir does nothing on this system: run one secureapi per data directory.
func lockDataDir(string) (unlock func(), err error) { return func() {}, nil }
