package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary stand in for the paradero command, so
// tests can run it as a child process without building it again.
func TestMain(m *testing.M) {
	if os.Getenv("PARADERO_TEST_RUN_MAIN") == "1" {
		main()
	}
	os.Exit(m.Run())
}

// binary returns a command that runs paradero as a child process.
func binary(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), "PARADERO_TEST_RUN_MAIN=1")
	return cmd
}

// TestImportKilledMidwayLeavesNothingHalfWritten kills `paradero import`
// with SIGKILL at several points of a large import and checks that, each
// time, the store holds the whole import or none of it, and verifies.
func TestImportKilledMidwayLeavesNothingHalfWritten(t *testing.T) {
	const rows = 60000
	file := filepath.Join(t.TempDir(), "grande.csv")
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "nombres,apellidos,fecha de nacimiento,número A")
	for i := range rows {
		fmt.Fprintf(w, "Persona %d,Apellido%d Segundo,%02d/%02d/19%02d,A%09d\n", i, i%977, 1+i%28, 1+i%12, 50+i%50, 100000000+i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()

	data := filepath.Join(t.TempDir(), "data")
	c := &cli{t: t, data: data}
	c.ok("import", writeFile(t, "previa.csv", roster)) // an earlier import must survive each kill
	killed := 0
	for _, delay := range []time.Duration{30 * time.Millisecond, 200 * time.Millisecond, 600 * time.Millisecond, 1200 * time.Millisecond} {
		cmd := binary(t, "--data", data, "import", file)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done: // finished before the kill: the import is whole
		case <-time.After(delay):
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			killed++
		}
		st := c.status()
		switch {
		case st.Sources == 1 && st.Records == 3:
		case st.Sources == 2 && st.Records == 3+rows:
		default:
			t.Fatalf("after SIGKILL at %v: %+v, want the earlier import alone or with the whole new one", delay, st)
		}
		c.ok("verify")
		if st.Sources == 2 {
			break
		}
	}
	if killed == 0 {
		t.Fatalf("every import finished before it could be killed; the test proved nothing")
	}
}
