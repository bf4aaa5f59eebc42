//! Ethereum's hexary Merkle Patricia Trie.
//!
//! A [`Trie`] is a working copy over a content-addressed [`NodeStore`]: it
//! loads only the nodes on the paths it reads or changes, and
//! [`Trie::commit`] returns the new root plus exactly the nodes that changed.
//! Work per update is therefore proportional to the depth of the touched
//! keys, not to the size of the trie. Nodes are never deleted here; a
//! commit also reports which stored nodes the new root no longer uses
//! ([`Trie::take_replaced`]), so a store that counts references can prune
//! them once no state it keeps needs them.
//!
//! Keys are raw bytes; the state uses the "secure" variant by hashing keys
//! with keccak before calling in.

mod nibbles;
mod node;

use std::cell::RefCell;
use std::collections::HashMap;

use primitive_types::H256;

use crate::hash::{EMPTY_ROOT, keccak256};
use nibbles::{common_prefix, to_nibbles};
use node::{
    ChildRef, Node, NodeRef, decode_node, empty_children, encode_branch, encode_extension,
    encode_leaf,
};

/// Why a trie could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrieError {
    /// A node the trie refers to is not in the store.
    #[error("trie node {0:?} is missing from the store")]
    MissingNode(H256),
    /// A stored node does not decode as a trie node.
    #[error("corrupt trie node: {0}")]
    Corrupt(&'static str),
    /// The store itself failed (its error, in words).
    #[error("trie store: {0}")]
    Store(String),
}

/// Where hashed nodes live: `keccak(rlp(node)) -> rlp(node)`.
pub trait NodeStore {
    /// The RLP of the node with this hash, if stored.
    fn node(&self, hash: &H256) -> Result<Option<Vec<u8>>, TrieError>;
}

/// A store with nothing in it, for tries built from scratch.
pub struct EmptyStore;

impl NodeStore for EmptyStore {
    fn node(&self, _: &H256) -> Result<Option<Vec<u8>>, TrieError> {
        Ok(None)
    }
}

impl NodeStore for HashMap<H256, Vec<u8>> {
    fn node(&self, hash: &H256) -> Result<Option<Vec<u8>>, TrieError> {
        Ok(self.get(hash).cloned())
    }
}

/// Nodes produced by a commit, to be written to the store.
pub type NewNodes = Vec<(H256, Vec<u8>)>;

/// A Merkle Patricia Trie read through `store`, with changes kept in
/// memory until [`Trie::commit`].
pub struct Trie<'s, S: NodeStore + ?Sized> {
    store: &'s S,
    root: NodeRef,
    /// Hashes of the stored nodes the changes so far loaded (a node can be
    /// replaced only after being loaded).
    loaded: RefCell<Vec<H256>>,
    /// Stored nodes that earlier commits stopped using.
    replaced: Vec<H256>,
}

impl<'s, S: NodeStore + ?Sized> Trie<'s, S> {
    /// Opens the trie with the given root (`EMPTY_ROOT` for a new one).
    pub fn new(store: &'s S, root: H256) -> Self {
        let root = if root == EMPTY_ROOT {
            NodeRef::Empty
        } else {
            NodeRef::Hash(root)
        };
        Self {
            store,
            root,
            loaded: RefCell::new(Vec::new()),
            replaced: Vec::new(),
        }
    }

    /// The stored nodes that the commits so far replaced or removed: each
    /// was part of the trie before and is not part of it now, once per
    /// position it left. (A node rebuilt with identical content is
    /// reported here and again among the new nodes.) Cleared by the call.
    pub fn take_replaced(&mut self) -> Vec<H256> {
        std::mem::take(&mut self.replaced)
    }

    /// Every stored (hashed) node of the trie, root included, once per
    /// position: what dropping the whole trie releases. Reads the whole
    /// trie from the store.
    pub fn stored_nodes(&self) -> Result<Vec<H256>, TrieError> {
        let mut out = Vec::new();
        let mut stack: Vec<NodeRef> = vec![self.root.clone()];
        while let Some(r) = stack.pop() {
            let node = match r {
                NodeRef::Empty => continue,
                NodeRef::Hash(h) => {
                    out.push(h);
                    self.load(&h)?
                }
                NodeRef::Loaded { .. } => {
                    return Err(TrieError::Store("commit before listing nodes".into()));
                }
            };
            // Inline children are part of their parent; descend through
            // them to the hashed nodes they may hold.
            let mut inline = vec![node];
            while let Some(node) = inline.pop() {
                let children: Vec<NodeRef> = match node {
                    Node::Leaf { .. } => Vec::new(),
                    Node::Extension { child, .. } => vec![child],
                    Node::Branch { children, .. } => children.into_iter().collect(),
                };
                for c in children {
                    match c {
                        NodeRef::Loaded { node, .. } => inline.push(*node),
                        other => stack.push(other),
                    }
                }
            }
        }
        Ok(out)
    }

    fn load(&self, hash: &H256) -> Result<Node, TrieError> {
        let bytes = self
            .store
            .node(hash)?
            .ok_or(TrieError::MissingNode(*hash))?;
        decode_node(&bytes)
    }

    /// Turns a reference into an owned node, loading it if needed. Returns
    /// the node and, if it came unchanged from the store, its hash.
    fn take(&self, r: NodeRef) -> Result<Option<(Node, Option<H256>)>, TrieError> {
        match r {
            NodeRef::Empty => Ok(None),
            NodeRef::Hash(h) => {
                let node = self.load(&h)?;
                self.loaded.borrow_mut().push(h);
                Ok(Some((node, Some(h))))
            }
            NodeRef::Loaded { node, clean } => Ok(Some((*node, clean))),
        }
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, TrieError> {
        let path = to_nibbles(key);
        let mut current = self.root.clone();
        let mut rest: &[u8] = &path;
        loop {
            let node = match current {
                NodeRef::Empty => return Ok(None),
                NodeRef::Hash(h) => self.load(&h)?,
                NodeRef::Loaded { node, .. } => *node,
            };
            match node {
                Node::Leaf { path, value } => {
                    return Ok((path == rest).then_some(value));
                }
                Node::Extension { path, child } => {
                    if !rest.starts_with(&path) {
                        return Ok(None);
                    }
                    rest = &rest[path.len()..];
                    current = child;
                }
                Node::Branch { children, value } => match rest.split_first() {
                    None => return Ok(value),
                    Some((i, tail)) => {
                        current = children[*i as usize].clone();
                        rest = tail;
                    }
                },
            }
        }
    }

    /// Inserts or replaces `key`. An empty value removes the key, as in
    /// Ethereum's tries.
    pub fn insert(&mut self, key: &[u8], value: Vec<u8>) -> Result<(), TrieError> {
        if value.is_empty() {
            return self.remove(key).map(|_| ());
        }
        let root = std::mem::replace(&mut self.root, NodeRef::Empty);
        self.root = self.insert_at(root, &to_nibbles(key), value)?;
        Ok(())
    }

    fn insert_at(&self, r: NodeRef, path: &[u8], value: Vec<u8>) -> Result<NodeRef, TrieError> {
        let Some((node, _)) = self.take(r)? else {
            return Ok(NodeRef::new(Node::Leaf {
                path: path.to_vec(),
                value,
            }));
        };
        let node = match node {
            Node::Leaf {
                path: lpath,
                value: lvalue,
            } => {
                if lpath == path {
                    return Ok(NodeRef::new(Node::Leaf { path: lpath, value }));
                }
                let common = common_prefix(&lpath, path);
                let mut children = empty_children();
                let mut branch_value = None;
                for (p, v) in [(&lpath[..], lvalue), (path, value)] {
                    if p.len() == common {
                        branch_value = Some(v);
                    } else {
                        children[p[common] as usize] = NodeRef::new(Node::Leaf {
                            path: p[common + 1..].to_vec(),
                            value: v,
                        });
                    }
                }
                let branch = Node::Branch {
                    children,
                    value: branch_value,
                };
                wrap_in_extension(&path[..common], branch)
            }
            Node::Extension { path: epath, child } => {
                let common = common_prefix(&epath, path);
                if common == epath.len() {
                    let child = self.insert_at(child, &path[common..], value)?;
                    Node::Extension { path: epath, child }
                } else {
                    let mut children = empty_children();
                    let mut branch_value = None;
                    children[epath[common] as usize] = if common + 1 == epath.len() {
                        child
                    } else {
                        NodeRef::new(Node::Extension {
                            path: epath[common + 1..].to_vec(),
                            child,
                        })
                    };
                    if path.len() == common {
                        branch_value = Some(value);
                    } else {
                        children[path[common] as usize] = NodeRef::new(Node::Leaf {
                            path: path[common + 1..].to_vec(),
                            value,
                        });
                    }
                    let branch = Node::Branch {
                        children,
                        value: branch_value,
                    };
                    wrap_in_extension(&path[..common], branch)
                }
            }
            Node::Branch {
                mut children,
                value: bvalue,
            } => match path.split_first() {
                None => Node::Branch {
                    children,
                    value: Some(value),
                },
                Some((i, tail)) => {
                    let i = *i as usize;
                    let child = std::mem::replace(&mut children[i], NodeRef::Empty);
                    children[i] = self.insert_at(child, tail, value)?;
                    Node::Branch {
                        children,
                        value: bvalue,
                    }
                }
            },
        };
        Ok(NodeRef::new(node))
    }

    /// Removes `key`; returns whether it was present.
    pub fn remove(&mut self, key: &[u8]) -> Result<bool, TrieError> {
        let root = std::mem::replace(&mut self.root, NodeRef::Empty);
        let (root, removed) = self.remove_at(root, &to_nibbles(key))?;
        self.root = root;
        Ok(removed)
    }

    fn remove_at(&self, r: NodeRef, path: &[u8]) -> Result<(NodeRef, bool), TrieError> {
        let Some((node, clean)) = self.take(r)? else {
            return Ok((NodeRef::Empty, false));
        };
        let unchanged = |node: Node| NodeRef::Loaded {
            node: Box::new(node),
            clean,
        };
        match node {
            Node::Leaf { path: lpath, value } => {
                if lpath == path {
                    Ok((NodeRef::Empty, true))
                } else {
                    Ok((unchanged(Node::Leaf { path: lpath, value }), false))
                }
            }
            Node::Extension { path: epath, child } => {
                if !path.starts_with(&epath) {
                    return Ok((unchanged(Node::Extension { path: epath, child }), false));
                }
                let (child, removed) = self.remove_at(child, &path[epath.len()..])?;
                if !removed {
                    return Ok((unchanged(Node::Extension { path: epath, child }), false));
                }
                Ok((self.join_prefix(epath, child)?, true))
            }
            Node::Branch {
                mut children,
                value,
            } => {
                let (value, removed) = match path.split_first() {
                    None => (None, value.is_some()),
                    Some((i, tail)) => {
                        let i = *i as usize;
                        let child = std::mem::replace(&mut children[i], NodeRef::Empty);
                        let (child, removed) = self.remove_at(child, tail)?;
                        children[i] = child;
                        (value, removed)
                    }
                };
                if !removed {
                    return Ok((unchanged(Node::Branch { children, value }), false));
                }
                Ok((self.collapse_branch(children, value)?, true))
            }
        }
    }

    /// Rebuilds `prefix ++ child` after the child shrank, merging paths so
    /// no extension points at a leaf or another extension.
    fn join_prefix(&self, mut prefix: Vec<u8>, child: NodeRef) -> Result<NodeRef, TrieError> {
        let Some((node, clean)) = self.take(child)? else {
            return Ok(NodeRef::Empty);
        };
        Ok(match node {
            Node::Leaf { path, value } => {
                prefix.extend(path);
                NodeRef::new(Node::Leaf {
                    path: prefix,
                    value,
                })
            }
            Node::Extension { path, child } => {
                prefix.extend(path);
                NodeRef::new(Node::Extension {
                    path: prefix,
                    child,
                })
            }
            branch @ Node::Branch { .. } => {
                if prefix.is_empty() {
                    NodeRef::Loaded {
                        node: Box::new(branch),
                        clean,
                    }
                } else {
                    NodeRef::new(Node::Extension {
                        path: prefix,
                        child: NodeRef::Loaded {
                            node: Box::new(branch),
                            clean,
                        },
                    })
                }
            }
        })
    }

    /// A branch left with a single child or only a value is no longer a
    /// valid branch; fold it into its neighbour.
    fn collapse_branch(
        &self,
        mut children: Box<[NodeRef; 16]>,
        value: Option<Vec<u8>>,
    ) -> Result<NodeRef, TrieError> {
        let mut live = children
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_empty())
            .map(|(i, _)| i);
        let first = live.next();
        let more = live.next().is_some();
        match (first, more, value) {
            (None, _, None) => Ok(NodeRef::Empty),
            (None, _, Some(value)) => Ok(NodeRef::new(Node::Leaf {
                path: vec![],
                value,
            })),
            (Some(i), false, None) => {
                let child = std::mem::replace(&mut children[i], NodeRef::Empty);
                self.join_prefix(vec![i as u8], child)
            }
            (_, _, value) => Ok(NodeRef::new(Node::Branch { children, value })),
        }
    }

    /// Hashes every changed node and returns the new root with the nodes to
    /// store. The trie stays usable, now rooted at the returned hash.
    pub fn commit(&mut self) -> (H256, NewNodes) {
        let mut new_nodes = Vec::new();
        let mut kept = Vec::new();
        let root = std::mem::replace(&mut self.root, NodeRef::Empty);
        let hash = match encode_ref(root, &mut new_nodes, &mut kept) {
            ChildRef::Empty => EMPTY_ROOT,
            ChildRef::Hash(h) => h,
            // The root is always referenced by hash, however small.
            ChildRef::Inline(raw) => {
                let h = keccak256(&raw);
                new_nodes.push((h, raw));
                h
            }
        };
        self.root = if hash == EMPTY_ROOT {
            NodeRef::Empty
        } else {
            NodeRef::Hash(hash)
        };
        // Replaced: loaded, and not carried into the new root unchanged.
        let mut loaded = std::mem::take(&mut *self.loaded.borrow_mut());
        loaded.sort_unstable();
        kept.sort_unstable();
        let mut kept = kept.into_iter().peekable();
        for h in loaded {
            while kept.next_if(|k| *k < h).is_some() {}
            if kept.next_if_eq(&h).is_none() {
                self.replaced.push(h);
            }
        }
        (hash, new_nodes)
    }

    /// The RLP of every node on the path to `key`, root first: an EIP-1186
    /// proof of presence or absence.
    pub fn proof(&self, key: &[u8]) -> Result<Vec<Vec<u8>>, TrieError> {
        let path = to_nibbles(key);
        let mut rest: &[u8] = &path;
        let mut out = Vec::new();
        let mut current = match &self.root {
            NodeRef::Empty => return Ok(out),
            NodeRef::Hash(h) => *h,
            NodeRef::Loaded { .. } => {
                return Err(TrieError::Store("commit before asking for a proof".into()));
            }
        };
        loop {
            let bytes = self
                .store
                .node(&current)?
                .ok_or(TrieError::MissingNode(current))?;
            out.push(bytes.clone());
            let mut node = decode_node(&bytes)?;
            // Walk inline children without emitting them: they are part of
            // the node already in the proof.
            loop {
                let next = match node {
                    Node::Leaf { .. } => return Ok(out),
                    Node::Extension { path, child } => {
                        if !rest.starts_with(&path) {
                            return Ok(out);
                        }
                        rest = &rest[path.len()..];
                        child
                    }
                    Node::Branch { children, .. } => match rest.split_first() {
                        None => return Ok(out),
                        Some((i, tail)) => {
                            rest = tail;
                            children[*i as usize].clone()
                        }
                    },
                };
                match next {
                    NodeRef::Empty => return Ok(out),
                    NodeRef::Hash(h) => {
                        current = h;
                        break;
                    }
                    NodeRef::Loaded { node: inner, .. } => node = *inner,
                }
            }
        }
    }
}

/// Puts `node` under an extension with `prefix`, unless the prefix is empty.
fn wrap_in_extension(prefix: &[u8], node: Node) -> Node {
    if prefix.is_empty() {
        node
    } else {
        Node::Extension {
            path: prefix.to_vec(),
            child: NodeRef::new(node),
        }
    }
}

/// Encodes a subtree bottom-up, collecting the nodes of 32 bytes or more
/// in `out` and the hashes of loaded nodes carried over unchanged in `kept`.
fn encode_ref(r: NodeRef, out: &mut NewNodes, kept: &mut Vec<H256>) -> ChildRef {
    let node = match r {
        NodeRef::Empty => return ChildRef::Empty,
        NodeRef::Hash(h) => return ChildRef::Hash(h),
        // Unchanged since loaded by hash: already stored. (Only the root can
        // be stored while shorter than 32 bytes, and it is referenced by hash.)
        NodeRef::Loaded {
            clean: Some(h),
            node,
        } => {
            kept.push(h);
            // Whatever was loaded beneath an unchanged node is unchanged too.
            loaded_beneath(&node, kept);
            return ChildRef::Hash(h);
        }
        NodeRef::Loaded { node, .. } => *node,
    };
    let raw = match node {
        Node::Leaf { path, value } => encode_leaf(&path, &value),
        Node::Extension { path, child } => encode_extension(&path, &encode_ref(child, out, kept)),
        Node::Branch { children, value } => {
            let refs: Vec<ChildRef> = children
                .into_iter()
                .map(|c| encode_ref(c, out, kept))
                .collect();
            encode_branch(&refs, value.as_deref())
        }
    };
    if raw.len() < 32 {
        ChildRef::Inline(raw)
    } else {
        let h = keccak256(&raw);
        out.push((h, raw));
        ChildRef::Hash(h)
    }
}

/// Pushes the hashes of the loaded stored nodes in `node`'s subtree.
fn loaded_beneath(node: &Node, kept: &mut Vec<H256>) {
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        let children: &[NodeRef] = match node {
            Node::Leaf { .. } => &[],
            Node::Extension { child, .. } => std::slice::from_ref(child),
            Node::Branch { children, .. } => &children[..],
        };
        for c in children {
            if let NodeRef::Loaded { node, clean } = c {
                kept.extend(clean);
                stack.push(node);
            }
        }
    }
}

/// Root of a trie whose keys are `rlp(index)`: the transactions and receipts
/// roots of a block.
pub fn ordered_trie_root<I, V>(values: I) -> H256
where
    I: IntoIterator<Item = V>,
    V: AsRef<[u8]>,
{
    let store = EmptyStore;
    let mut trie = Trie::new(&store, EMPTY_ROOT);
    for (i, v) in values.into_iter().enumerate() {
        let key = rlp::encode(&(i as u64));
        // Building from an empty store never needs to load a node.
        trie.insert(&key, v.as_ref().to_vec())
            .expect("insert into an in-memory trie cannot fail");
    }
    trie.commit().0
}

#[cfg(test)]
mod tests;
