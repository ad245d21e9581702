package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/fivec/fivec/config"
	"github.com/fivec/fivec/models"
	"github.com/fivec/fivec/roles"
)

const rulesUsage = `usage:
  fivec rules export [-o rules.yaml]   write every Consulting rule as YAML (stdout by default)
  fivec rules import rules.yaml        replace all rules with the file's; nothing changes if any rule is invalid
The database is the one FIVEC_DB_DRIVER / FIVEC_DB_DSN (or -config) name.`

// rulesCommand implements `fivec rules import|export`, so rules can live in
// version control.
func rulesCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, rulesUsage)
		return errors.New("rules: say import or export")
	}
	fs := flag.NewFlagSet("rules "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "optional YAML file with FIVEC_* keys")
	out := fs.String("o", "", "export: write to this file instead of stdout")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load(*configPath, getenv)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	store, err := models.Open(ctx, cfg.DBDriver, cfg.DBDSN, 10*time.Second)
	if err != nil {
		return fmt.Errorf("FIVEC_DB_DSN: %v", err)
	}
	defer store.Close()
	switch args[0] {
	case "export":
		b, err := store.ExportRulesYAML(ctx)
		if err != nil {
			return err
		}
		if *out == "" {
			_, err = stdout.Write(b)
			return err
		}
		return os.WriteFile(*out, b, 0o644)
	case "import":
		if fs.NArg() != 1 {
			return errors.New("rules import: name one YAML file")
		}
		b, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		c := roles.NewRoles(roles.Deps{Store: store, Log: slog.New(slog.NewTextHandler(stderr, nil))}, roles.SettingsFrom(cfg, "")).Consulting
		warnings, err := c.ImportRules(ctx, b)
		if err != nil {
			return fmt.Errorf("rules import: %s (nothing was changed)", models.ErrorMessage(err))
		}
		for _, w := range warnings {
			fmt.Fprintln(stderr, "warning:", w)
		}
		rules, err := store.ListRules(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d rules\n", len(rules))
		return nil
	}
	fmt.Fprintln(stderr, rulesUsage)
	return fmt.Errorf("rules: unknown command %q", args[0])
}
