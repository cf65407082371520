"""The Merkle tree against RFC 9162: roots, inclusion and consistency proofs for every tree up to 40
leaves, proofs that must fail, and the frontier that appends without the history."""

import hashlib

import pytest

from crm_sandbox.crypto import merkle

LEAVES = [merkle.leaf_hash(b"leaf %d" % i) for i in range(40)]


def test_known_roots() -> None:
    """The empty tree and RFC 6962's one- and two-leaf trees."""
    assert merkle.root([]) == hashlib.sha256(b"").digest()
    a, b = merkle.leaf_hash(b""), merkle.leaf_hash(b"\x00")
    assert a.hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert merkle.root([a, b]) == hashlib.sha256(b"\x01" + a + b).digest()
    # Three leaves: the left subtree is the largest power of two (2), the right is the third leaf.
    c = merkle.leaf_hash(b"c")
    assert merkle.root([a, b, c]) == merkle.node_hash(merkle.node_hash(a, b), c)


@pytest.mark.parametrize("size", range(1, 41))
def test_every_inclusion_proof_verifies_and_a_wrong_one_does_not(size: int) -> None:
    leaves = LEAVES[:size]
    top = merkle.root(leaves)
    for i in range(size):
        proof = merkle.inclusion_proof(i, leaves)
        assert merkle.verify_inclusion(i, size, leaves[i], proof, top)
        assert not merkle.verify_inclusion(i, size, merkle.leaf_hash(b"forged"), proof, top)
        if size > 1:
            other = (i + 1) % size
            assert not merkle.verify_inclusion(other, size, leaves[i], proof, top)
            assert not merkle.verify_inclusion(i, size, leaves[i], proof[:-1], top)


@pytest.mark.parametrize("new", range(1, 41))
def test_every_consistency_proof_verifies_and_a_rewritten_history_does_not(new: int) -> None:
    leaves = LEAVES[:new]
    new_root = merkle.root(leaves)
    for old in range(1, new + 1):
        old_root = merkle.root(leaves[:old])
        proof = merkle.consistency_proof(old, leaves)
        assert merkle.verify_consistency(old, new, old_root, new_root, proof)
        rewritten = [merkle.leaf_hash(b"rewritten")] + list(leaves[1:old])
        if old < new:
            assert not merkle.verify_consistency(old, new, merkle.root(rewritten), new_root, proof)
            assert not merkle.verify_consistency(old, new, old_root, merkle.root(LEAVES[1 : new + 1]), proof)
            assert not merkle.verify_consistency(old, new, old_root, new_root, [])


def test_frontier_matches_the_full_root_at_every_size_and_round_trips() -> None:
    frontier = merkle.Frontier()
    assert frontier.root() == merkle.root([])
    for i, leaf in enumerate(LEAVES, start=1):
        frontier.append(leaf)
        assert frontier.size == i
        assert frontier.root() == merkle.root(LEAVES[:i])
        again = merkle.Frontier.from_hex(frontier.size, frontier.to_hex())
        assert again.root() == frontier.root()
    with pytest.raises(ValueError):
        merkle.Frontier.from_hex(5, ["00" * 32])


def test_proofs_for_leaves_outside_the_tree_are_refused() -> None:
    with pytest.raises(ValueError):
        merkle.inclusion_proof(3, LEAVES[:3])
    with pytest.raises(ValueError):
        merkle.consistency_proof(5, LEAVES[:3])
    assert not merkle.verify_inclusion(3, 3, LEAVES[0], [], merkle.root(LEAVES[:3]))
