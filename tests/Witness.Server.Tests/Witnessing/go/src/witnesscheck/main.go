// witnesscheck checks what Witness serves with Go's own transparency-log code
// (golang.org/x/mod/sumdb/note and sumdb/tlog), so the C# side is held to an
// independent implementation. Built by the tests in GOPATH mode; every mode
// prints one line and exits 0 when the check passes, 1 with the reason when not.
//
//	witnesscheck note VKEY NOTEFILE                 the note verifies under VKEY; prints its origin
//	witnesscheck inclusion VKEY NOTEFILE INDEX LEAFHEX PROOFHEX...
//	                                                the leaf is at INDEX of the tree the note signs
//	witnesscheck tiles VKEY URL                     reads URL/checkpoint, then the tree's hashes
//	                                                from URL/tile/... through tlog.TileHashReader
//	witnesscheck cosignature VKEY NOTEFILE          the note carries a valid cosignature/v1 of VKEY
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func open(vkey string, text []byte) checkpoint {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(text, note.VerifierList(verifier))
	if err != nil {
		fail("note: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint body has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("size: %v", err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("root hash: %v", err)
	}
	var h tlog.Hash
	copy(h[:], root)
	return checkpoint{lines[0], size, h}
}

func readFile(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	return data
}

func hash(hexText string) tlog.Hash {
	b, err := hex.DecodeString(hexText)
	if err != nil || len(b) != tlog.HashSize {
		fail("not a hex hash: %q", hexText)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h
}

type httpTiles struct{ base string }

// get fetches a URL, with WITNESSCHECK_BEARER as a bearer token when set (tenant logs' tiles need a key).
func get(url string) (*http.Response, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return nil, err
	}
	if token := os.Getenv("WITNESSCHECK_BEARER"); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return http.DefaultClient.Do(req)
}

func (r httpTiles) Height() int { return 8 }

func (r httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		// Go writes tile/<H>/<L>/<N>[.p/<W>]; C2SP tlog-tiles leaves out the height.
		path := "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
		resp, err := get(r.base + "/" + path)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != 200 {
			return nil, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, data)
		}
		out[i] = data
	}
	return out, nil
}

func (r httpTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func main() {
	if len(os.Args) < 4 {
		fail("usage: witnesscheck note|inclusion|tiles|cosignature VKEY ...")
	}
	vkey := os.Args[2]
	switch os.Args[1] {
	case "note":
		c := open(vkey, readFile(os.Args[3]))
		fmt.Printf("OK %s %d\n", c.origin, c.size)
	case "inclusion":
		c := open(vkey, readFile(os.Args[3]))
		index, err := strconv.ParseInt(os.Args[4], 10, 64)
		if err != nil {
			fail("index: %v", err)
		}
		leaf := hash(os.Args[5])
		var proof tlog.RecordProof
		for _, p := range os.Args[6:] {
			proof = append(proof, hash(p))
		}
		if err := tlog.CheckRecord(proof, c.size, c.root, index, leaf); err != nil {
			fail("inclusion: %v", err)
		}
		fmt.Printf("OK %s %d in %d\n", c.origin, index, c.size)
	case "tiles":
		base := strings.TrimSuffix(os.Args[3], "/")
		resp, err := get(base + "/checkpoint")
		if err != nil {
			fail("%v", err)
		}
		text, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			fail("GET checkpoint: %d %s", resp.StatusCode, text)
		}
		c := open(vkey, text)
		tree := tlog.Tree{N: c.size, Hash: c.root}
		reader := tlog.TileHashReader(tree, httpTiles{base})
		root, err := tlog.TreeHash(c.size, reader)
		if err != nil || root != c.root {
			fail("tree hash from tiles: %v (%v, checkpoint %v)", err, root, c.root)
		}
		for _, n := range []int64{0, c.size / 2, c.size - 1} {
			proof, err := tlog.ProveRecord(c.size, n, reader)
			if err != nil {
				fail("proof of %d from tiles: %v", n, err)
			}
			leaves, err := reader.ReadHashes([]int64{tlog.StoredHashIndex(0, n)})
			if err != nil {
				fail("leaf %d from tiles: %v", n, err)
			}
			if err := tlog.CheckRecord(proof, c.size, c.root, n, leaves[0]); err != nil {
				fail("record %d: %v", n, err)
			}
		}
		fmt.Printf("OK %s %d read through tiles\n", c.origin, c.size)
	case "cosignature":
		// C2SP tlog-cosignature: vkey name+id+base64(0x04 || key); line blob id(4) || time(8) || sig(64)
		// over "cosignature/v1\ntime <t>\n" || note body.
		parts := strings.SplitN(vkey, "+", 3)
		if len(parts) != 3 {
			fail("verifier key")
		}
		key, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil || len(key) != 33 || key[0] != 0x04 {
			fail("not a cosignature/v1 verifier key")
		}
		idHash := sha256.Sum256(append(append([]byte(parts[0]), '\n', 0x04), key[1:]...))
		text := readFile(os.Args[3])
		split := bytes.LastIndex(text, []byte("\n\n"))
		if split < 0 {
			fail("not a signed note")
		}
		body := text[:split+1]
		for _, line := range strings.Split(strings.TrimSuffix(string(text[split+2:]), "\n"), "\n") {
			fields := strings.SplitN(strings.TrimPrefix(line, "\u2014 "), " ", 2)
			if len(fields) != 2 || fields[0] != parts[0] {
				continue
			}
			blob, err := base64.StdEncoding.DecodeString(fields[1])
			if err != nil || len(blob) != 76 || !bytes.Equal(blob[:4], idHash[:4]) {
				continue
			}
			t := binary.BigEndian.Uint64(blob[4:12])
			msg := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), body...)
			if ed25519.Verify(ed25519.PublicKey(key[1:]), msg, blob[12:]) {
				fmt.Printf("OK cosigned by %s at %d\n", parts[0], t)
				return
			}
			fail("cosignature of %s does not verify", parts[0])
		}
		fail("no cosignature of %s", parts[0])
	default:
		fail("unknown mode %s", os.Args[1])
	}
}
