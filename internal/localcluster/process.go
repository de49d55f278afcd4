package localcluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// pidsFile lists "<name> <pid> <binary>" per started process, so `down` (another process) can stop them.
const pidsFile = "pids"

// proc is one started component.
type proc struct {
	name, bin, logPath string
	cmd                *exec.Cmd
	exited             chan struct{} // closed when the process has exited (in-process children only)
}

// spawner starts every child from one goroutine locked to its OS thread. Pdeathsig fires when the
// *thread* that forked the child exits, and Go may retire threads; a thread that never unlocks lives as
// long as the process, so children of a test binary die with it even on SIGKILL or a test timeout.
type spawner struct {
	once sync.Once
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

var theSpawner spawner

func (s *spawner) start(cmd *exec.Cmd) error {
	s.once.Do(func() {
		s.reqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: see the type comment
			for r := range s.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	s.reqs <- spawnReq{cmd: cmd, done: done}
	return <-done
}

// startProc starts bin with args, logging to <logDir>/<name>.log. detach puts the child in its own session
// with no parent-death signal, so it outlives the CLI that ran `up`.
func startProc(name, bin, logDir string, args []string, detach bool, env []string) (*proc, error) {
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child keeps its own descriptor
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), env...)
	if detach {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	} else {
		// Own process group: a terminal Ctrl-C reaches only the test binary, which then stops us in order.
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	}
	if err := theSpawner.start(cmd); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, bin: bin, logPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.exited) }()
	return p, nil
}

func (p *proc) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// exitError describes a component that died during start, with the tail of its log.
func (p *proc) exitError() error {
	return fmt.Errorf("%s exited during start (%v); log %s:\n%s", p.name, p.cmd.ProcessState, p.logPath, tail(p.logPath, 15))
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func appendPID(stateDir, name string, pid int, bin string) error {
	f, err := os.OpenFile(filepath.Join(stateDir, pidsFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s %d %s\n", name, pid, bin)
	return err
}

type pidEntry struct {
	name string
	pid  int
	bin  string
}

func readPIDs(stateDir string) ([]pidEntry, error) {
	b, err := os.ReadFile(filepath.Join(stateDir, pidsFile))
	if err != nil {
		return nil, err
	}
	var out []pidEntry
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), " ", 3)
		if len(f) != 3 {
			continue
		}
		pid, err := strconv.Atoi(f[1])
		if err != nil {
			continue
		}
		out = append(out, pidEntry{name: f[0], pid: pid, bin: f[2]})
	}
	return out, nil
}

// alive reports whether pid still runs the recorded binary; a recycled PID is never signalled.
func (e pidEntry) alive() bool {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", e.pid))
	if err != nil {
		return false
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", e.pid))
	if err == nil {
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
			return false // zombie: already exited
		}
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	return string(argv0) == e.bin
}

// stopPIDs sends SIGTERM to every entry, waits up to grace, then SIGKILLs the rest.
func stopPIDs(entries []pidEntry, grace time.Duration) error {
	var errs []error
	for _, e := range entries {
		if e.alive() {
			if err := syscall.Kill(e.pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("%s (pid %d): %w", e.name, e.pid, err))
			}
		}
	}
	deadline := time.Now().Add(grace)
	for _, e := range entries {
		for e.alive() && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if e.alive() {
			_ = syscall.Kill(e.pid, syscall.SIGKILL)
			for i := 0; i < 100 && e.alive(); i++ {
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
	return errors.Join(errs...)
}

// ProcessInfo describes one recorded component process.
type ProcessInfo struct {
	Name     string
	PID      int
	Running  bool
	RSSBytes int64 // resident set size; 0 when not running
}

// Processes lists the processes recorded in stateDir with their resident memory.
func Processes(stateDir string) ([]ProcessInfo, error) {
	entries, err := readPIDs(stateDir)
	if err != nil {
		return nil, err
	}
	out := make([]ProcessInfo, 0, len(entries))
	for _, e := range entries {
		pi := ProcessInfo{Name: e.name, PID: e.pid, Running: e.alive()}
		if pi.Running {
			pi.RSSBytes = rss(e.pid)
		}
		out = append(out, pi)
	}
	return out, nil
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
