//! What one call of `Service::handle` decided: a [`Verdict`], which `Cx`
//! fills, the task carries back and the loop acts on (`Task::next`).
//!
//! A new signal from a handler is one field here, one method on `Cx`, and
//! where the loop must act on it, one arm of [`Next`].

/// What a handler decided, through `Cx`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Bytes of input consumed (`Cx::consume`).
    pub consumed: usize,
    /// Close the connection once the output is written (`Cx::close`).
    pub close: bool,
    /// Call again for the unconsumed input (`Cx::call_again`); kept only
    /// for a call that consumed something and left something.
    pub again: bool,
    /// Hold the output until this gate is released (`Cx::hold_output`).
    pub hold: Option<u64>,
    /// A request is still arriving (`Cx::request_in_progress`).
    pub mid_request: bool,
    /// The length announced for the request at the front of the
    /// unconsumed input (`Cx::announce_request_len`); 0 for none.
    pub announced: usize,
    /// Hold the connection's input back until the service wakes it
    /// (`Cx::park`, `Control::wake`).
    pub park: bool,
    /// The output limits that hold the connection from now on
    /// (`Cx::set_output_class`); `None` to keep its class.
    pub class: Option<crate::OutputClass>,
    /// Hand the unconsumed input to a worker at once
    /// (`Cx::hand_to_worker`); kept only if something is left.
    pub to_worker: bool,
}

impl Verdict {
    /// Closes the call, `left` bytes of input being left unconsumed. Only
    /// a call that made progress may ask for another, or a handler that
    /// never consumes would spin.
    pub fn conclude(&mut self, left: usize) {
        self.again &= self.consumed > 0 && left > 0;
        self.to_worker &= left > 0;
    }

    /// What the connection needs next: a failure around the call first,
    /// then what the call decided. `unseen`: input arrived while the task
    /// was out; `buffered` and `max_input`: the input now held, and how
    /// much may be.
    pub fn next(&self, failure: Option<Failure>, unseen: bool, buffered: usize, max_input: usize) -> Next {
        if let Some(failure) = failure {
            return match failure {
                Failure::WriteFailed => Next::WriteFailed,
                Failure::Panicked => Next::Panicked,
            };
        }
        if self.close {
            Next::Close
        } else if self.park {
            Next::Park
        } else if self.to_worker {
            Next::ToWorker
        } else if self.again {
            Next::Again
        } else if self.consumed == 0 && !unseen && buffered >= max_input {
            Next::TooLarge
        } else {
            Next::Read
        }
    }
}

/// What went wrong around a call, on the worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The handler panicked.
    Panicked,
    /// The worker's write failed: the connection is finished.
    WriteFailed,
}

/// What the loop does with a connection whose task is back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// The worker's write failed: the socket is finished.
    WriteFailed,
    /// The handler panicked: reply as for `Reject::Panic`, and close.
    Panicked,
    /// The service closes the connection after its output.
    Close,
    /// The service parked the connection: handle none of its input
    /// until it wakes it.
    Park,
    /// Call the service again on what it left, on a worker.
    ToWorker,
    /// Call the service again on what it left.
    Again,
    /// The service consumed nothing of a full buffer: the request is
    /// larger than the input limit.
    TooLarge,
    /// Nothing more: read on.
    Read,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_is_called_again_only_if_it_consumed_something_and_left_something() {
        for (consumed, left, again) in [(3, 2, true), (0, 2, false), (3, 0, false)] {
            let mut v = Verdict { consumed, again: true, ..Verdict::default() };
            v.conclude(left);
            assert_eq!(v.again, again, "consumed {consumed}, left {left}");
        }
    }

    #[test]
    fn a_failure_comes_before_what_the_call_decided() {
        let v = Verdict { consumed: 1, close: true, ..Verdict::default() };
        assert_eq!(v.next(Some(Failure::Panicked), false, 0, 100), Next::Panicked);
        assert_eq!(v.next(Some(Failure::WriteFailed), false, 0, 100), Next::WriteFailed);
    }

    #[test]
    fn close_comes_before_another_call() {
        let v = Verdict { consumed: 1, close: true, again: true, ..Verdict::default() };
        assert_eq!(v.next(None, false, 10, 100), Next::Close);
        assert_eq!(Verdict { again: true, ..v }.next(None, false, 10, 100), Next::Close);
        assert_eq!(Verdict { close: false, ..v }.next(None, false, 10, 100), Next::Again);
    }

    #[test]
    fn a_park_comes_after_a_close_and_before_another_call_or_a_full_buffer() {
        let v = Verdict { consumed: 1, park: true, again: true, ..Verdict::default() };
        assert_eq!(v.next(None, false, 10, 100), Next::Park);
        assert_eq!(Verdict { close: true, ..v }.next(None, false, 10, 100), Next::Close);
        assert_eq!(Verdict { consumed: 0, ..v }.next(None, false, 100, 100), Next::Park, "not a request too large");
        assert_eq!(v.next(Some(Failure::Panicked), false, 10, 100), Next::Panicked);
    }

    #[test]
    fn a_hand_off_to_a_worker_needs_input_left_and_comes_after_a_close_or_a_park() {
        let mut v = Verdict { consumed: 0, to_worker: true, ..Verdict::default() };
        v.conclude(5);
        assert_eq!(v.next(None, false, 100, 100), Next::ToWorker, "not a request too large");
        assert_eq!(Verdict { again: true, ..v }.next(None, false, 5, 100), Next::ToWorker);
        assert_eq!(Verdict { close: true, ..v }.next(None, false, 5, 100), Next::Close);
        assert_eq!(Verdict { park: true, ..v }.next(None, false, 5, 100), Next::Park);
        let mut done = Verdict { consumed: 5, to_worker: true, ..Verdict::default() };
        done.conclude(0);
        assert_eq!(done.next(None, false, 0, 100), Next::Read, "nothing left to hand over");
    }

    #[test]
    fn a_request_is_too_large_only_when_nothing_was_consumed_of_a_full_buffer() {
        let stuck = Verdict::default();
        assert_eq!(stuck.next(None, false, 100, 100), Next::TooLarge);
        assert_eq!(stuck.next(None, false, 99, 100), Next::Read, "room for more");
        assert_eq!(stuck.next(None, true, 100, 100), Next::Read, "new input to look at");
        let progress = Verdict { consumed: 1, ..Verdict::default() };
        assert_eq!(progress.next(None, false, 100, 100), Next::Read);
    }
}
