//! Many requests' statements as one (group commit). At a door's rush hundreds of phones check in
//! at once, and each check-in's statements cost PostgreSQL more to start than to run: a batcher
//! takes every request waiting for the same statement, runs it once for all of them, and answers
//! each with its own part. Nothing waits on purpose: while one batch runs, the next gathers, so
//! a quiet server runs batches of one and a busy one larger batches.
//!
//! A request whose client has gone still has its part run and committed (requests run in tasks
//! of their own, see `finish_what_starts`): what was acknowledged to no one is stored all the same,
//! as it would be without batching.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Mutex};

type Reply<O> = oneshot::Sender<Result<O, String>>;

pub struct Batcher<I, O> {
    queue: mpsc::Sender<(I, Reply<O>)>,
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// Starts `workers` tasks (batches running at once, each on its own database connection),
    /// each taking up to `max` waiting requests for one call of `run`, which answers one output
    /// per input, in order. The tasks end when the batcher is dropped.
    pub fn start<F, Fut>(workers: usize, max: usize, run: F) -> Batcher<I, O>
    where
        F: Fn(Vec<I>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<O>, String>> + Send,
    {
        let (queue, rx) = mpsc::channel::<(I, Reply<O>)>(max.max(1) * workers.max(1) * 4);
        let rx = Arc::new(Mutex::new(rx));
        let run = Arc::new(run);
        for _ in 0..workers.max(1) {
            let (rx, run) = (rx.clone(), run.clone());
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::new();
                    {
                        let mut rx = rx.lock().await;
                        match rx.recv().await {
                            Some(first) => batch.push(first),
                            None => return,
                        }
                        while batch.len() < max {
                            match rx.try_recv() {
                                Ok(next) => batch.push(next),
                                Err(_) => break,
                            }
                        }
                    }
                    let (inputs, replies): (Vec<I>, Vec<Reply<O>>) = batch.into_iter().unzip();
                    let n = inputs.len();
                    match run(inputs).await {
                        Ok(outputs) if outputs.len() == n => {
                            for (reply, out) in replies.into_iter().zip(outputs) {
                                let _ = reply.send(Ok(out));
                            }
                        }
                        Ok(outputs) => {
                            let e = format!("a batch of {n} answered {}", outputs.len());
                            for reply in replies {
                                let _ = reply.send(Err(e.clone()));
                            }
                        }
                        Err(e) => {
                            for reply in replies {
                                let _ = reply.send(Err(e.clone()));
                            }
                        }
                    }
                }
            });
        }
        Batcher { queue }
    }

    /// Runs `input` in the next batch and answers its part.
    pub async fn call(&self, input: I) -> Result<O, String> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((input, reply)).await.map_err(|_| "the batcher has stopped".to_owned())?;
        answer.await.map_err(|_| "the batch was dropped".to_owned())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_caller_gets_its_own_answer_and_waiting_callers_share_a_batch() {
        let sizes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = sizes.clone();
        let b: Arc<Batcher<u32, u32>> = Arc::new(Batcher::start(1, 64, move |xs: Vec<u32>| {
            let seen = seen.clone();
            async move {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                seen.lock().map_err(|e| e.to_string())?.push(xs.len());
                Ok(xs.into_iter().map(|x| x * 2).collect())
            }
        }));
        let calls: Vec<_> = (0..200u32)
            .map(|i| {
                let b = b.clone();
                tokio::spawn(async move { (i, b.call(i).await) })
            })
            .collect();
        for c in calls {
            let (i, got) = c.await.unwrap_or_else(|_| unreachable!());
            assert_eq!(got, Ok(i * 2));
        }
        let sizes = sizes.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(sizes.iter().sum::<usize>(), 200);
        assert!(sizes.len() < 200 && sizes.iter().all(|n| *n <= 64), "batched: {sizes:?}");
    }

    #[tokio::test]
    async fn a_failed_batch_fails_each_of_its_callers() {
        let b: Batcher<u32, u32> = Batcher::start(2, 8, |_xs: Vec<u32>| async { Err("no database".to_owned()) });
        assert_eq!(b.call(1).await, Err("no database".to_owned()));
        let short: Batcher<u32, u32> = Batcher::start(1, 8, |_xs: Vec<u32>| async { Ok(vec![]) });
        assert!(short.call(1).await.is_err_and(|e| e.contains("answered 0")));
    }
}
