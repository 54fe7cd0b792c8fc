//! A bounded work queue.
use std::collections::VecDeque;

/// The largest queue allowed.
pub const MAX_LEN: usize = 1024;

/// One unit of work.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: u64,
    pub name: String,
}

/// What a worker can do.
pub trait Worker {
    /// Runs one job.
    fn run(&mut self, job: &Job) -> Result<(), String>;
}

/// Job states.
pub enum State { Queued, Running, Done }

/// A FIFO of jobs.
pub struct Queue {
    items: VecDeque<Job>,
}

impl Queue {
    /// An empty queue.
    pub fn new() -> Self {
        Queue { items: VecDeque::new() } // BODY_MARKER
    }

    /// Adds a job at the back.
    pub fn push(&mut self, job: Job) -> bool {
        if self.items.len() >= MAX_LEN { return false; } // BODY_MARKER
        self.items.push_back(job);
        true
    }
}

pub type JobId = u64;
