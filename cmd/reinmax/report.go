package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/discretegrad/reinmax/cmd/reinmax/internal/figures"
	"github.com/discretegrad/reinmax/estimators"
	"github.com/discretegrad/reinmax/experiment"
)

// Files report writes.
const (
	reportMarkdownFile = "report.md"
	reportCSVFile      = "report.csv"
	FinalPlotFile      = "final.png"
)

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", "[flags]", stderr)
	dir := fs.String("dir", "sweep", "sweep directory (the --out of sweep)")
	out := fs.String("out", "", "where to write report.md, report.csv and the plots (default: --dir)")
	plots := fs.Bool("plots", true, "write the PNG plots")
	collapsed := fs.Bool("collapsed", false, "keep the runs that ended in posterior collapse in the means")
	noRecovered := fs.Bool("no-recovered", false, "leave out of the means the runs that collapsed in their first epochs and recovered")
	methods := fs.String("methods", "", "comma list of methods to keep (default: all)")
	var published publishedFlag
	fs.Var(&published, "published", "compare with the published results: -published for the built-in table, -published=FILE for a CSV of the same columns")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := experiment.ReportOptions{IncludeCollapsed: *collapsed, ExcludeRecovered: *noRecovered}
	if *methods != "" {
		ms, err := estimators.ParseMethods(*methods, estimators.Methods())
		if err != nil {
			return usageErr(fs, "--methods: %v", err)
		}
		opts.Methods = ms
	}
	switch published {
	case "", "false":
	case "true":
		opts.Published = experiment.PublishedResults()
	default:
		f, err := os.Open(string(published))
		if err != nil {
			return usageErr(fs, "--published: %v", err)
		}
		opts.Published, err = experiment.ReadPublished(f)
		f.Close()
		if err != nil {
			return usageErr(fs, "--published=%s: %v", published, err)
		}
	}
	if fi, err := os.Stat(*dir); err != nil || !fi.IsDir() {
		return usageErr(fs, "--dir=%s is not a directory", *dir)
	}
	if *out == "" {
		*out = *dir
	}
	d, err := experiment.ReadReport(*dir, opts)
	if err != nil {
		return err
	}
	if d.Finished == 0 && len(d.Excluded) == 0 {
		return fmt.Errorf("%s holds no runs (no sweep.json and no run directory); nothing written", *dir)
	}
	if err := checkWritableDir(*out); err != nil {
		return usageErr(fs, "--out: %v", err)
	}
	var md, tab bytes.Buffer
	d.Markdown(&md)
	if err := d.CSV(&tab); err != nil {
		return err
	}
	files := map[string][]byte{reportMarkdownFile: md.Bytes(), reportCSVFile: tab.Bytes()}
	if *plots {
		pngs, err := figures.Report(d)
		if err != nil {
			return err
		}
		for name, b := range pngs {
			files[name] = b
		}
	}
	written, err := writeFiles(*out, files)
	if err != nil {
		return err
	}
	if _, err := stdout.Write(md.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "report: %d finished runs in %d settings, %d unfinished; wrote %s in %s\n",
		d.Finished, len(d.Groups), len(d.Excluded), strings.Join(written, ", "), *out)
	return nil
}

// publishedFlag is --published: alone (a boolean flag) the built-in table,
// with =FILE a CSV.
type publishedFlag string

func (p *publishedFlag) String() string     { return string(*p) }
func (p *publishedFlag) Set(v string) error { *p = publishedFlag(v); return nil }
func (p *publishedFlag) IsBoolFlag() bool   { return true }
