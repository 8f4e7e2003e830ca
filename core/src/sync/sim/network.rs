//! The simulated network: links between devices and servers, messages in flight with latency
//! and jitter (in order per link), cuts, and injected messages.

use std::time::Duration;

use super::{Link, LinkId, NodeId, Scheduled, Sim, WireRecord, heads_are_durable};
use crate::sync::device::DeviceInput;
use crate::sync::{ConnectionId, Direction, Event};
use crate::wire::{DecodeLimits, Message, decode, encode};

impl Sim {
    /// Opens a connection from a device to a server.
    pub fn connect(&mut self, device: NodeId, server: NodeId) -> LinkId {
        self.next_link += 1;
        let id = LinkId(self.next_link);
        let link = Link {
            device,
            server,
            device_conn: ConnectionId(id.0 * 2),
            server_conn: ConnectionId(id.0 * 2 + 1),
            alive: true,
            last_delivery: [self.now; 2],
        };
        self.links.insert(id, link);
        self.conn_to_link.insert((device, link.device_conn), id);
        self.conn_to_link.insert((server, link.server_conn), id);
        self.handle(
            server,
            Event::ConnectionOpened {
                conn: link.server_conn,
                direction: Direction::Incoming,
            },
        );
        self.tell_device(device, DeviceInput::Connected);
        self.handle(
            device,
            Event::ConnectionOpened {
                conn: link.device_conn,
                direction: Direction::Outgoing,
            },
        );
        id
    }

    /// Cuts a connection: both ends learn at once, messages in flight are lost.
    pub fn disconnect(&mut self, link: LinkId) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if !l.alive {
            return;
        }
        l.alive = false;
        let l = *l;
        self.handle(
            l.device,
            Event::ConnectionClosed {
                conn: l.device_conn,
            },
        );
        self.tell_device(l.device, DeviceInput::Disconnected);
        self.handle(
            l.server,
            Event::ConnectionClosed {
                conn: l.server_conn,
            },
        );
    }

    /// Live links.
    pub fn live_links(&self) -> Vec<LinkId> {
        self.links
            .iter()
            .filter(|(_, l)| l.alive)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Delivers a message to the other end of `link` as if `from` had sent it (for replays and
    /// hostile peers), skipping the network.
    pub fn inject(&mut self, link: LinkId, from: NodeId, message: Message) {
        let Some(l) = self.links.get(&link).copied() else {
            return;
        };
        if !l.alive {
            return;
        }
        let (to, conn) = if from == l.device {
            (l.server, l.server_conn)
        } else {
            (l.device, l.device_conn)
        };
        self.nodes[to.0].inbox.push(message.clone());
        self.handle(to, Event::MessageReceived { conn, message });
    }

    /// Delivers a frame that reached the end of its link, if the link still lives.
    pub(super) fn deliver(&mut self, link: LinkId, to: NodeId, frame: &[u8]) {
        let Some(l) = self.links.get(&link).copied() else {
            return;
        };
        if !l.alive {
            return;
        }
        let conn = if to == l.device {
            l.device_conn
        } else {
            l.server_conn
        };
        let message = match decode(frame, &DecodeLimits::default()) {
            Ok(m) => m,
            Err(e) => {
                tracing::error!(error = %e, "simulated peer sent an undecodable frame");
                self.undecodable_frames += 1;
                return;
            }
        };
        self.nodes[to.0].inbox.push(message.clone());
        let handshake_done = matches!(message, Message::Peer { .. });
        self.handle(to, Event::MessageReceived { conn, message });
        if handshake_done {
            self.tell_device(to, DeviceInput::Handshake);
        }
    }

    /// Puts a node's message on its link: recorded on the wire, delivered after the latency
    /// and a random jitter, never before the link's previous message.
    pub(super) fn transmit(&mut self, node: NodeId, conn: ConnectionId, message: Message) {
        let Some(link_id) = self.conn_to_link.get(&(node, conn)).copied() else {
            return;
        };
        let jitter_ms = u64::try_from(self.config.jitter.as_millis()).unwrap_or(0);
        let jitter = if jitter_ms == 0 {
            0
        } else {
            self.random() % (jitter_ms + 1)
        };
        let Some(link) = self.links.get_mut(&link_id) else {
            return;
        };
        if !link.alive {
            return;
        }
        let (to, dir) = if node == link.device {
            (link.server, 0)
        } else {
            (link.device, 1)
        };
        let at = (self.now + self.config.latency + Duration::from_millis(jitter))
            .max(link.last_delivery[dir]);
        link.last_delivery[dir] = at;
        let heads_durable = self
            .config
            .check_durable_acks
            .then(|| heads_are_durable(&self.nodes[node.0].storage, &message));
        let frame = encode(&message);
        self.wire.push(WireRecord {
            at: self.now,
            from: node,
            to,
            message,
            frame: frame.clone(),
            heads_durable,
        });
        self.schedule(
            at,
            Scheduled::Deliver {
                link: link_id,
                to,
                frame,
            },
        );
    }

    /// A node's engine closed a connection: the link dies and the other end learns at once.
    pub(super) fn close_link(&mut self, node: NodeId, conn: ConnectionId) {
        if let Some(link_id) = self.conn_to_link.get(&(node, conn)).copied()
            && let Some(l) = self.links.get_mut(&link_id)
            && l.alive
        {
            l.alive = false;
            let l = *l;
            let (other, other_conn) = if node == l.device {
                (l.server, l.server_conn)
            } else {
                (l.device, l.device_conn)
            };
            self.handle(other, Event::ConnectionClosed { conn: other_conn });
            self.tell_device(l.device, DeviceInput::Disconnected);
        }
    }
}
