// Command goverifier audits a gsomia node's ledger with Go's golang.org/x/mod/sumdb/note
// and sumdb/tlog, reading only the node's C2SP tlog-tiles endpoints.
//
//	goverifier BASE_URL TOKEN VERIFIER_KEY OLD_CHECKPOINT_FILE INDEX
//
// It verifies the latest checkpoint's signature, reads tiles through tlog.TileHashReader
// (which checks every tile against the signed root), proves and checks the inclusion of
// entry INDEX read from its entry bundle, and proves and checks the consistency of the
// older signed checkpoint in OLD_CHECKPOINT_FILE with the latest one.
package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type node struct {
	base, token string
}

func (n node) get(path string) ([]byte, error) {
	req, err := http.NewRequest("GET", n.base+"/tlog/"+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+n.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return body, nil
}

// c2sp turns a Go sumdb tile path (tile/8/L/N, tile/8/data/N) into C2SP tlog-tiles'
// (tile/L/N, tile/entries/N): same index encoding, no height, "entries" for data.
func c2sp(t tlog.Tile) string {
	p := strings.Replace(t.Path(), "tile/8/", "tile/", 1)
	return strings.Replace(p, "tile/data/", "tile/entries/", 1)
}

type tiles struct{ n node }

func (r tiles) Height() int { return 8 }

func (r tiles) ReadTiles(ts []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(ts))
	for i, t := range ts {
		data, err := r.n.get(c2sp(t))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func open(text []byte, v note.Verifier) (tlog.Tree, string, error) {
	n, err := note.Open(text, note.VerifierList(v))
	if err != nil {
		return tlog.Tree{}, "", err
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[0] != v.Name() {
		return tlog.Tree{}, "", fmt.Errorf("checkpoint origin %q is not %q", lines[0], v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return tlog.Tree{}, "", err
	}
	raw, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(raw) != tlog.HashSize {
		return tlog.Tree{}, "", fmt.Errorf("bad root %q", lines[2])
	}
	var h tlog.Hash
	copy(h[:], raw)
	return tlog.Tree{N: size, Hash: h}, lines[0], nil
}

func entry(n node, tree tlog.Tree, index int64) ([]byte, error) {
	t := tlog.TileForIndex(8, tlog.StoredHashIndex(0, index))
	t.L = -1
	if w := tree.N - t.N*256; w < 256 {
		t.W = int(w)
	} else {
		t.W = 256
	}
	data, err := n.get(c2sp(t))
	if err != nil {
		return nil, err
	}
	for i := int64(0); len(data) >= 2; i++ {
		size := int(data[0])<<8 | int(data[1])
		if len(data) < 2+size {
			return nil, fmt.Errorf("entry bundle cut short")
		}
		if t.N*256+i == index {
			return data[2 : 2+size], nil
		}
		data = data[2+size:]
	}
	return nil, fmt.Errorf("entry %d is not in its bundle", index)
}

func run(args []string) error {
	n := node{base: args[0], token: args[1]}
	v, err := note.NewVerifier(args[2])
	if err != nil {
		return err
	}
	text, err := n.get("checkpoint")
	if err != nil {
		return err
	}
	tree, origin, err := open(text, v)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	fmt.Printf("checkpoint ok: origin %s size %d root %s\n", origin, tree.N, tree.Hash)
	hr := tlog.TileHashReader(tree, tiles{n})
	index, err := strconv.ParseInt(args[4], 10, 64)
	if err != nil {
		return err
	}
	data, err := entry(n, tree, index)
	if err != nil {
		return err
	}
	proof, err := tlog.ProveRecord(tree.N, index, hr)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(data)); err != nil {
		return fmt.Errorf("inclusion: %w", err)
	}
	fmt.Printf("inclusion ok: entry %d (%d bytes) in tree %d, %d hashes\n", index, len(data), tree.N, len(proof))
	oldText, err := os.ReadFile(args[3])
	if err != nil {
		return err
	}
	old, _, err := open(oldText, v)
	if err != nil {
		return fmt.Errorf("old checkpoint: %w", err)
	}
	tp, err := tlog.ProveTree(tree.N, old.N, hr)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(tp, tree.N, tree.Hash, old.N, old.Hash); err != nil {
		return fmt.Errorf("consistency: %w", err)
	}
	fmt.Printf("consistency ok: %d -> %d, %d hashes\n", old.N, tree.N, len(tp))
	return nil
}

func main() {
	if len(os.Args) != 6 {
		fmt.Fprintln(os.Stderr, "usage: goverifier BASE_URL TOKEN VERIFIER_KEY OLD_CHECKPOINT_FILE INDEX")
		os.Exit(2)
	}
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "verification failed:", err)
		os.Exit(1)
	}
}
