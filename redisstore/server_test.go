package redisstore_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/rampart-go/rampart/internal/testenv"
	"github.com/rampart-go/rampart/redisstore"
)

// server is a throwaway redis-server owned by the tests: started on a free loopback port in a
// temporary directory, with persistence off, and stopped at the end. Tests that kill and restart
// it (the outage test) get their own; the others share one per test binary.
type server struct {
	bin   string
	dir   string
	port  int
	extra []string // further redis-server arguments

	mu  sync.Mutex
	cmd *exec.Cmd
}

// URL returns the redis:// URL of the server.
func (s *server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.port) }

// Addr returns host:port.
func (s *server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// startServer starts a new redis-server and registers its shutdown with t.Cleanup. It skips
// (fails under RAMPART_STRICT=1) when the binary is absent.
func startServer(t testing.TB, extra ...string) *server {
	t.Helper()
	bin := testenv.LookPath(t, "redis-server")
	s, err := newServer(bin, t.TempDir(), extra...)
	if err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}

func newServer(bin, dir string, extra ...string) (*server, error) {
	s := &server{bin: bin, dir: dir, extra: extra}
	// A port that was free a moment ago can be taken by another process before redis-server
	// binds it; try a few.
	var err error
	for range 5 {
		if s.port, err = freePort(); err != nil {
			return nil, err
		}
		if err = s.Start(); err == nil {
			return s, nil
		}
	}
	return nil, err
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start (re)starts redis-server on the server's port and waits until it answers PING.
func (s *server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("redis-server already running")
	}
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--loglevel", "warning",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	)
	cmd.Args = append(cmd.Args, s.extra...)
	cmd.SysProcAttr = serverProcAttr()
	if err := cmd.Start(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := waitPing(ctx, s.Addr()); err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("redis-server on port %d: %w (log: %s)", s.port, err, s.log())
	}
	s.cmd = cmd
	return nil
}

// Stop kills the server (SIGKILL: an abrupt outage, no goodbye to clients) and waits for it.
func (s *server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

func (s *server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return string(b)
}

// waitPing polls addr with a raw RESP PING until it answers +PONG or ctx ends.
func waitPing(ctx context.Context, addr string) error {
	var last error
	for {
		if last = ping(addr); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no PONG: %w", last)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(time.Second)); err != nil {
		return err
	}
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// shared is the server (or REDIS_URL) that most tests of this package use.
var shared struct {
	once sync.Once
	url  string
	srv  *server
	err  error
}

// TestMain stops the shared server after all tests ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Stop()
		_ = os.RemoveAll(shared.srv.dir)
	}
	os.Exit(code)
}

// redisURL returns $REDIS_URL, or the URL of the shared throwaway server, started on first use.
// It skips (fails under RAMPART_STRICT=1) when neither is available.
func redisURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	bin := testenv.LookPath(t, "redis-server")
	shared.once.Do(func() {
		dir, err := os.MkdirTemp("", "redisstore-test-")
		if err != nil {
			shared.err = err
			return
		}
		shared.srv, shared.err = newServer(bin, dir)
		if shared.err == nil {
			shared.url = shared.srv.URL()
		}
	})
	if shared.err != nil {
		t.Fatalf("starting the shared redis-server: %v", shared.err)
	}
	return shared.url
}

// newClient returns a go-redis client for url configured as the package documentation
// recommends, closed at the end of the test.
func newClient(t testing.TB, url string) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("redis.ParseURL(%q): %v", url, err)
	}
	opt.ContextTimeoutEnabled = true
	// go-redis bounds each socket read by the earlier of the context's deadline and ReadTimeout
	// (3 s by default): make it testTimeout, so that the stores' Timeout is what tests see.
	opt.ReadTimeout, opt.WriteTimeout = testTimeout, testTimeout
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testPrefix returns a key prefix no other test (or test run against a shared REDIS_URL) uses.
func testPrefix(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "rampart-test:" + hex.EncodeToString(b[:]) + ":"
}

// counter is a go-redis hook that counts the commands (round trips) a client sends.
type counter struct {
	mu    sync.Mutex
	cmds  []string
	dials int
}

func (c *counter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c.mu.Lock()
		c.dials++
		c.mu.Unlock()
		return next(ctx, network, addr)
	}
}

func (c *counter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.mu.Lock()
		c.cmds = append(c.cmds, cmd.Name())
		c.mu.Unlock()
		return next(ctx, cmd)
	}
}

func (c *counter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.mu.Lock()
		for _, cmd := range cmds {
			c.cmds = append(c.cmds, "pipeline:"+cmd.Name())
		}
		c.mu.Unlock()
		return next(ctx, cmds)
	}
}

// take returns the commands counted since the last call and forgets them.
func (c *counter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmds := c.cmds
	c.cmds = nil
	return cmds
}

// secret returns a fresh random KeySecret.
func secret(t testing.TB) []byte {
	b := make([]byte, redisstore.MinKeySecret)
	_, _ = rand.Read(b)
	return b
}

// Pause stops the server process without killing it (SIGSTOP): connections stay open and
// commands go unanswered, the hardest outage for a client, which only a timeout ends.
func (s *server) Pause(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGSTOP)
}

// Resume continues a paused server (SIGCONT).
func (s *server) Resume(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGCONT)
}

func (s *server) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		t.Fatalf("signal %v: redis-server is not running", sig)
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v to redis-server: %v", sig, err)
	}
}

// testTimeout is the store timeout of tests that do not test the timeout: generous, because
// the race detector on a loaded machine can stretch a round trip well past the default.
const testTimeout = 10 * time.Second

// autoPipeline returns go-redis's automatic pipeliner over c, closed at the end of the test.
func autoPipeline(t testing.TB, c redis.UniversalClient) *redis.AutoPipeliner {
	t.Helper()
	ap, err := c.AutoPipeline()
	if err != nil {
		t.Fatalf("AutoPipeline: %v", err)
	}
	t.Cleanup(func() { _ = ap.Close() })
	return ap
}
