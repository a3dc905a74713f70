//! Hands values to the audio thread without allocating, locking or freeing there.
//!
//! A [`MailSender`] (a worker or GUI thread) posts values; the [`MailReceiver`] (the audio
//! thread) swaps the newest into place and posts the value it replaced back, so the sender's
//! thread frees it. Both directions are wait-free single-producer rings ([`rtrb`]).

use rtrb::{Consumer, Producer, RingBuffer};

/// Values in flight to the receiver at most.
const FORWARD: usize = 4;
/// Room for everything that can come back between two sends.
const BACK: usize = 2 * FORWARD + 2;

/// The sending side (any non-audio thread).
pub struct MailSender<T> {
    to: Producer<T>,
    back: Consumer<T>,
}

/// The receiving side (the audio thread).
pub struct MailReceiver<T> {
    from: Consumer<T>,
    back: Producer<T>,
    /// A replaced value the return ring had no room for (it never fills in practice); kept
    /// rather than freed on the audio thread.
    parked: Option<T>,
}

impl<T> std::fmt::Debug for MailSender<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailSender")
    }
}

impl<T> std::fmt::Debug for MailReceiver<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailReceiver")
    }
}

/// A connected sender and receiver.
pub fn mailbox<T: Send>() -> (MailSender<T>, MailReceiver<T>) {
    let (to, from) = RingBuffer::new(FORWARD);
    let (back_tx, back_rx) = RingBuffer::new(BACK);
    (
        MailSender { to, back: back_rx },
        MailReceiver {
            from,
            back: back_tx,
            parked: None,
        },
    )
}

impl<T> MailSender<T> {
    /// Frees what the receiver sent back, then posts `value`. Gives it back if the receiver
    /// has not taken the earlier ones yet (try again later).
    pub fn send(&mut self, value: T) -> Result<(), T> {
        self.collect();
        self.to.push(value).map_err(|rtrb::PushError::Full(v)| v)
    }

    /// Frees what the receiver sent back.
    pub fn collect(&mut self) {
        while let Ok(v) = self.back.pop() {
            drop(v);
        }
    }
}

impl<T> MailReceiver<T> {
    /// If something was posted, swaps the newest value into `current` and sends the replaced
    /// (and any skipped) values back. Returns whether `current` changed.
    pub fn receive(&mut self, current: &mut T) -> bool {
        let mut changed = false;
        while let Ok(mut v) = self.from.pop() {
            std::mem::swap(current, &mut v);
            self.give_back(v);
            changed = true;
        }
        if let Some(v) = self.parked.take() {
            self.give_back(v);
        }
        changed
    }

    fn give_back(&mut self, v: T) {
        if let Err(rtrb::PushError::Full(v)) = self.back.push(v) {
            // Keep the newest overflow; an older parked value is leaked rather than freed here.
            if let Some(old) = self.parked.replace(v) {
                std::mem::forget(old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn newest_value_wins_and_old_ones_return_to_the_sender() {
        let (mut tx, mut rx) = mailbox::<Arc<u32>>();
        let first = Arc::new(0);
        let mut current = first.clone();
        assert!(!rx.receive(&mut current));
        tx.send(Arc::new(1)).unwrap();
        tx.send(Arc::new(2)).unwrap();
        assert!(rx.receive(&mut current));
        assert_eq!(*current, 2);
        // The replaced values sit in the return ring until the sender collects them.
        assert_eq!(Arc::strong_count(&first), 2);
        tx.collect();
        assert_eq!(Arc::strong_count(&first), 1);
        for i in 0..FORWARD {
            tx.send(Arc::new(i as u32)).unwrap();
        }
        assert!(tx.send(Arc::new(99)).is_err(), "full until received");
    }
}
