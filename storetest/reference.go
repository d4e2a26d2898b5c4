package storetest

import (
	"crypto/sha256"

	"github.com/paradero/paradero"
)

// referenceRoot is RFC 6962 §2.1's Merkle Tree Hash, written as the RFC
// states it, to check the stores' incremental hashing against.
func referenceRoot(leaves [][]byte) paradero.Hash {
	if len(leaves) == 0 {
		return sha256.Sum256(nil)
	}
	if len(leaves) == 1 {
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := referenceRoot(leaves[:k]), referenceRoot(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}
