// Command paradero finds out and proves where detained and deported people
// are. One binary, one subcommand per file; see `paradero help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// command is one subcommand.
type command interface {
	Run(ctx context.Context, args []string) error
}

// exitError carries a specific exit status (verify: 1 for a damaged
// ledger; verify-proof: 3 for a fork).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// commandInfo describes a subcommand for `paradero help`.
type commandInfo struct {
	summary string
	make    func(g *globals) command
}

func commands() map[string]commandInfo {
	return map[string]commandInfo{
		"demo":         {"build a synthetic world, import and link it, and serve the web app with an account per role (the quickest way to see Paradero)", func(g *globals) command { return &demoCommand{g: g} }},
		"case":         {"open and follow cases: their people, lawyers, hearings, deadlines and court orders; list the reminders due", func(g *globals) command { return &caseCommand{g: g} }},
		"export":       {"export a person's dossier (HTML, PDF, JSON), the reconciliation of sources (CSV, UpSet SVG), the flow chart or the aggregate report", func(g *globals) command { return &exportCommand{g: g} }},
		"estimate":     {"estimate how many people no list names (multiple systems estimation)", func(g *globals) command { return &estimateCommand{stdout: g.stdout, stderr: g.stderr, g: g} }},
		"import":       {"import a source file (CSV, XLSX, JSON Lines) and its records", func(g *globals) command { return &importCommand{g: g} }},
		"review":       {"list the pairs linkage could not decide, or record a reviewer's decision", func(g *globals) command { return &reviewCommand{g: g} }},
		"show":         {"show a record as its source wrote it, or a source and its original file", func(g *globals) command { return &showCommand{g: g} }},
		"status":       {"count sources, records, persons and ledger entries", func(g *globals) command { return &statusCommand{g: g} }},
		"checkpoint":   {"print the ledger's current signed checkpoint", func(g *globals) command { return &checkpointCommand{g: g} }},
		"verify":       {"recompute the whole ledger and check every checkpoint", func(g *globals) command { return &verifyCommand{g: g} }},
		"prove":        {"write an inclusion proof of one ledger entry", func(g *globals) command { return &proveCommand{g: g} }},
		"verify-proof": {"check an inclusion proof offline", func(g *globals) command { return &verifyProofCommand{g: g} }},
		"redact":       {"remove a record's content for good, keeping its proof", func(g *globals) command { return &redactCommand{g: g} }},
		"link":         {"link the records in the store into persons, or CSV files without a store", func(g *globals) command { return &linkCommand{stdout: g.stdout, stderr: g.stderr, g: g} }},
		"serve":        {"serve the web application (pages in Spanish and English)", func(g *globals) command { return &serveCommand{g: g} }},
		"user":         {"add and list web accounts, set passwords", func(g *globals) command { return &userCommand{g: g} }},
		"token":        {"make, list and revoke the JSON API's tokens", func(g *globals) command { return &tokenCommand{g: g} }},
		"locator-sim":  {"serve a simulated detainee locator on loopback (scripted scenarios and faults)", func(g *globals) command { return &locatorSimCommand{stdout: g.stdout, stderr: g.stderr} }},
		"watch":        {"poll detainee locators, keep every answer, flag who vanishes", func(g *globals) command { return &watchCommand{g: g} }},
		"follow":       {"follow a person, watch entry, case or facility: alerts by e-mail, webhook and in the app", func(g *globals) command { return &followCommand{g: g} }},
		"synth":        {"generate a synthetic world: people, custody histories and the lists that name them", func(g *globals) command { return &synthCommand{stdout: g.stdout, stderr: g.stderr} }},
		"backup":       {"write a consistent, age-encrypted backup of the embedded store while it runs", func(g *globals) command { return &backupCommand{g: g} }},
		"restore":      {"restore a backup into an empty data directory, verifying its ledger first", func(g *globals) command { return &restoreCommand{g: g} }},
	}
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	fs := flag.NewFlagSet("paradero", flag.ContinueOnError)
	fs.SetOutput(stderr)
	g.register(fs)
	fs.Usage = func() { printUsage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 || fs.Arg(0) == "help" && fs.NArg() == 1 {
		printUsage(stdout, fs)
		if fs.NArg() == 0 {
			return 2
		}
		return 0
	}
	name, rest := fs.Arg(0), fs.Args()[1:]
	if name == "help" {
		name, rest = rest[0], []string{"-h"}
	}
	info, ok := commands()[name]
	if !ok {
		fmt.Fprintf(stderr, "paradero: unknown command %q; see 'paradero help'\n", name)
		return 2
	}
	err := info.make(g).Run(ctx, rest)
	defer g.close()
	return exitCode(stderr, name, err)
}

func exitCode(stderr io.Writer, name string, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "paradero %s: %s\nRun 'paradero %s -h' for usage.\n", name, ue.msg, name)
		return 2
	}
	if errors.Is(err, errFlagParse) {
		return 2
	}
	var ee *exitError
	if errors.As(err, &ee) {
		fmt.Fprintf(stderr, "paradero %s: %s\n", name, ee.err)
		return ee.code
	}
	// The command line's user is the operator: the whole chain helps them.
	fmt.Fprintf(stderr, "paradero %s: %v\n", name, err)
	return 1
}

func printUsage(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, `Paradero finds out and proves where detained and deported people are.

Usage: paradero [global flags] COMMAND [flags] [arguments]

Commands:
`)
	cmds := commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, cmds[n].summary)
	}
	fmt.Fprint(w, "\nGlobal flags (also accepted after the command):\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fmt.Fprint(w, "\nRun 'paradero COMMAND -h' for a command's flags.\n")
}

var errFlagParse = errors.New("bad flags")

// parseArgs parses flags that may come before, between or after the
// positional arguments (`paradero redact 12 --reason …`), and returns the
// positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errFlagParse
		}
		rest := fs.Args()
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

func newFlagSet(g *globals, name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(g.stderr)
	fs.Usage = func() {
		fmt.Fprintf(g.stderr, "Usage: paradero %s\n\n", strings.TrimSpace(usage))
		fs.PrintDefaults()
	}
	return fs
}
