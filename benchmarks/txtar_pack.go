// Command txtar_pack packs the regular files below a directory into one txtar
// archive, with Go's golang.org/x/tools/txtar: the Go peer of `seedbundle pack`
// in benchmarks/bench.py, which compiles it offline in GOPATH mode.
//
// Usage: txtar_pack DIR OUT
package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/tools/txtar"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: txtar_pack DIR OUT")
		os.Exit(2)
	}
	root, out := os.Args[1], os.Args[2]
	archive := &txtar.Archive{}
	// WalkDir visits in lexical order and does not follow links, as pack does not.
	err := filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil || !entry.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		name, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		archive.Files = append(archive.Files, txtar.File{Name: filepath.ToSlash(name), Data: data})
		return nil
	})
	if err == nil {
		err = os.WriteFile(out, txtar.Format(archive), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "txtar_pack:", err)
		os.Exit(1)
	}
}
