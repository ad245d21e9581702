package models

import (
	"bytes"
	"compress/gzip"
	_ "embed"
	"io"
	"sync"

	"github.com/go-ego/gse"
)

// zhDict is gse's simplified-Chinese dictionary, gzip-compressed (see
// zhdict/README.md: embedding it here keeps gse's other dictionaries out of
// the binary).
//
//go:embed zhdict/s_1.txt.gz
var zhDict []byte

// The Chinese word segmenter behind the keyword report (Words). gse is
// pure Go (no cgo, unlike gojieba) and maintained; its simplified-Chinese
// dictionary is embedded in the binary, compressed (2 MB). Loading it takes
// a second or more and some tens of MB of memory, so it happens once, on the
// first keyword report, not at start-up: a process that never opens the
// report never pays for it.
var zhSegmenter struct {
	once sync.Once
	seg  gse.Segmenter
	err  error
}

// chineseWords segments a run of Chinese characters into words (HMM on, so
// words missing from the dictionary, such as shop names, still come out
// whole). If the dictionary cannot be loaded it returns the run as it is.
func chineseWords(run string) []string {
	zhSegmenter.once.Do(func() {
		zhSegmenter.seg.SkipLog = true
		zhSegmenter.err = loadZhDict(&zhSegmenter.seg)
	})
	if zhSegmenter.err != nil {
		return []string{run}
	}
	return zhSegmenter.seg.Cut(run, true)
}

func loadZhDict(seg *gse.Segmenter) error {
	zr, err := gzip.NewReader(bytes.NewReader(zhDict))
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	return seg.LoadDictStr(string(raw))
}
