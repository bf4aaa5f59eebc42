//! Trie nodes in memory and their RLP encoding.

use primitive_types::H256;
use rlp::{Rlp, RlpStream};

use super::TrieError;
use super::nibbles::{decode_path, encode_path};

/// A reference from a parent to a child node.
#[derive(Clone, Debug)]
pub(crate) enum NodeRef {
    Empty,
    /// A node stored under its hash and not loaded yet.
    Hash(H256),
    /// A node in memory. `clean` holds its stored hash while it is unchanged
    /// since loading, so commit does not write it again.
    Loaded {
        node: Box<Node>,
        clean: Option<H256>,
    },
}

impl NodeRef {
    pub(crate) fn new(node: Node) -> Self {
        NodeRef::Loaded {
            node: Box::new(node),
            clean: None,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        matches!(self, NodeRef::Empty)
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Node {
    Leaf {
        path: Vec<u8>,
        value: Vec<u8>,
    },
    Extension {
        path: Vec<u8>,
        child: NodeRef,
    },
    Branch {
        children: Box<[NodeRef; 16]>,
        value: Option<Vec<u8>>,
    },
}

pub(crate) fn empty_children() -> Box<[NodeRef; 16]> {
    Box::new(std::array::from_fn(|_| NodeRef::Empty))
}

/// Decodes a node's RLP. Children embedded inline (shorter than 32 bytes)
/// are decoded in place; longer ones become `NodeRef::Hash`.
pub(crate) fn decode_node(bytes: &[u8]) -> Result<Node, TrieError> {
    decode_rlp(&Rlp::new(bytes))
}

fn decode_rlp(rlp: &Rlp) -> Result<Node, TrieError> {
    let corrupt = |_| TrieError::Corrupt("undecodable node");
    match rlp.item_count().map_err(corrupt)? {
        2 => {
            let encoded_path: Vec<u8> = rlp.val_at(0).map_err(corrupt)?;
            let (path, leaf) =
                decode_path(&encoded_path).ok_or(TrieError::Corrupt("bad hex-prefix path"))?;
            if leaf {
                Ok(Node::Leaf {
                    path,
                    value: rlp.val_at(1).map_err(corrupt)?,
                })
            } else {
                if path.is_empty() {
                    return Err(TrieError::Corrupt("extension with empty path"));
                }
                Ok(Node::Extension {
                    path,
                    child: decode_child(&rlp.at(1).map_err(corrupt)?)?,
                })
            }
        }
        17 => {
            let mut children = empty_children();
            for (i, child) in children.iter_mut().enumerate() {
                *child = decode_child(&rlp.at(i).map_err(corrupt)?)?;
            }
            let value: Vec<u8> = rlp.val_at(16).map_err(corrupt)?;
            Ok(Node::Branch {
                children,
                value: (!value.is_empty()).then_some(value),
            })
        }
        _ => Err(TrieError::Corrupt("node must have 2 or 17 items")),
    }
}

fn decode_child(rlp: &Rlp) -> Result<NodeRef, TrieError> {
    if rlp.is_list() {
        return Ok(NodeRef::new(decode_rlp(rlp)?));
    }
    let data = rlp
        .data()
        .map_err(|_| TrieError::Corrupt("bad child reference"))?;
    match data.len() {
        0 => Ok(NodeRef::Empty),
        32 => Ok(NodeRef::Hash(H256::from_slice(data))),
        _ => Err(TrieError::Corrupt("child reference must be 0 or 32 bytes")),
    }
}

/// How a parent refers to an encoded child: inline below 32 bytes, by hash
/// otherwise.
pub(crate) enum ChildRef {
    Empty,
    Inline(Vec<u8>),
    Hash(H256),
}

impl ChildRef {
    fn append(&self, s: &mut RlpStream) {
        match self {
            ChildRef::Empty => {
                s.append_empty_data();
            }
            ChildRef::Inline(raw) => {
                s.append_raw(raw, 1);
            }
            ChildRef::Hash(h) => {
                s.append(h);
            }
        }
    }
}

pub(crate) fn encode_leaf(path: &[u8], value: &[u8]) -> Vec<u8> {
    let mut s = RlpStream::new_list(2);
    s.append(&encode_path(path, true));
    s.append(&value);
    s.out().to_vec()
}

pub(crate) fn encode_extension(path: &[u8], child: &ChildRef) -> Vec<u8> {
    let mut s = RlpStream::new_list(2);
    s.append(&encode_path(path, false));
    child.append(&mut s);
    s.out().to_vec()
}

pub(crate) fn encode_branch(children: &[ChildRef], value: Option<&[u8]>) -> Vec<u8> {
    let mut s = RlpStream::new_list(17);
    for c in children {
        c.append(&mut s);
    }
    match value {
        Some(v) => s.append(&v),
        None => s.append_empty_data(),
    };
    s.out().to_vec()
}
