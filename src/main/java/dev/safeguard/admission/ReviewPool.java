package dev.safeguard.admission;

import dev.safeguard.config.SafeguardConfig;
import dev.safeguard.metrics.SafeguardMetrics;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/**
 * Where reviews are decided: a bounded pool of worker threads, off the HTTP I/O threads, with a deadline per
 * review below the API server's timeout.
 *
 * <ul>
 *   <li>The I/O thread only hands the body over; scanning, parsing and deciding run on the pool.</li>
 *   <li>At most {@code safeguard.admission.workers} reviews run at once, at most
 *       {@code safeguard.admission.queue} wait, and together they hold at most
 *       {@code safeguard.admission.max-in-flight-bytes} of request bodies. A review that finds the pool full
 *       is answered at once per on-internal-error ({@code reason="overloaded"}).</li>
 *   <li>A review not decided within {@code safeguard.admission.deadline} is answered then, per
 *       on-internal-error ({@code reason="deadline"}); its worker is interrupted and its late decision is
 *       discarded. The API server always gets an answer before its own timeout. A rule evaluation cannot be
 *       stopped from outside, so the worker may run on: while it does, the pool adds a thread in its place
 *       (at most {@code safeguard.admission.max-extra-workers}), so that a slow rule does not take capacity
 *       from other reviews.</li>
 *   <li>Everything a review throws, {@link Error}s included (a rule's StackOverflowError or
 *       OutOfMemoryError), is answered per on-internal-error ({@code reason="exception"} or {@code "error"}).</li>
 * </ul>
 */
@Startup
@ApplicationScoped
public class ReviewPool {

    private static final Logger LOG = Logger.getLogger(ReviewPool.class);

    private final AdmissionReviewReader reader;
    private final AdmissionHandler handler;
    private final ReviewScan scanner;
    private final Duration deadline;
    private final long maxInFlightBytes;
    private final ThreadPoolExecutor workers;
    private final ScheduledThreadPoolExecutor timers;
    private final AtomicLong inFlightBytes = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final int baseWorkers;
    private final int maxExtraWorkers;
    /** Threads added in place of workers still running past their deadline; guarded by this. */
    private int extraWorkers;

    public ReviewPool(AdmissionReviewReader reader, AdmissionHandler handler, InputLimits limits,
            SafeguardMetrics metrics, SafeguardConfig config) {
        Duration deadline = config.admission().deadline();
        int workers = config.admission().workers();
        int queue = config.admission().queue();
        int maxExtraWorkers = config.admission().maxExtraWorkers();
        MemorySize maxInFlightBytes = config.admission().maxInFlightBytes();
        this.reader = reader;
        this.handler = handler;
        this.scanner = new ReviewScan(limits);
        this.deadline = deadline;
        this.maxInFlightBytes = maxInFlightBytes.asLongValue();
        int threads = workers > 0 ? workers : Math.max(2, Runtime.getRuntime().availableProcessors());
        this.baseWorkers = threads;
        this.maxExtraWorkers = Math.max(0, maxExtraWorkers);
        this.workers = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(Math.max(1, queue)), daemon("safeguard-review-"),
                new ThreadPoolExecutor.AbortPolicy());
        this.timers = new ScheduledThreadPoolExecutor(1, daemon("safeguard-review-deadline-"));
        this.timers.setRemoveOnCancelPolicy(true);
        metrics.registerInFlight(inFlight::get);
        LOG.debugf("review pool: %d workers, queue %d, deadline %s, %d bytes in flight at most", threads, queue,
                deadline, this.maxInFlightBytes);
    }

    /** Decides one review body; the stage completes with the HTTP response, always before the deadline. */
    public CompletionStage<Response> submit(byte[] body) {
        Review review = new Review(this, body == null ? new byte[0] : body, System.nanoTime());
        long bytes = review.body.length;
        long total = inFlightBytes.addAndGet(bytes);
        inFlight.incrementAndGet();
        // One body alone is always let in (the HTTP body limit bounds it); more must fit the budget.
        if (total > maxInFlightBytes && total != bytes) {
            release(review);
            timers.execute(() -> answerUndecided(review, "overloaded", "the webhook is overloaded: more than "
                    + maxInFlightBytes / (1024 * 1024) + " MiB of reviews in flight", null));
            return review.answer;
        }
        try {
            review.timer = timers.schedule(() -> onDeadline(review), deadline.toMillis(), TimeUnit.MILLISECONDS);
            workers.execute(review);
        } catch (RejectedExecutionException e) {
            release(review);
            if (review.timer != null) {
                review.timer.cancel(false);
            }
            timers.execute(() -> answerUndecided(review, "overloaded", "the webhook is overloaded: all "
                    + workers.getMaximumPoolSize() + " workers busy and " + workers.getQueue().size()
                    + " reviews waiting", null));
        }
        return review.answer;
    }

    /** Runs on a worker. */
    private void decide(Review review) {
        try {
            if (review.answer.isDone()) {
                return; // answered at the deadline while it waited
            }
            synchronized (review) {
                review.worker = Thread.currentThread();
            }
            AdmissionHandler.Outcome outcome;
            Response response;
            try {
                ReviewScan.Result scan = scanner.scan(review.body);
                review.scan = scan;
                if (scan.exceeded() != null && scan.uid() != null && !scan.uid().isBlank()) {
                    outcome = handler.overLimit(scan, review.started);
                } else {
                    outcome = handler.decide(reader.read(review.body), review.started);
                }
                response = Response.ok(outcome.review(), MediaType.APPLICATION_JSON_TYPE).build();
            } catch (BadAdmissionReviewException e) {
                complete(review, badRequest(e.getMessage()), null);
                return;
            } catch (Throwable e) {
                // Errors too: a rule's StackOverflowError or OutOfMemoryError unwinds to here and its garbage
                // is gone; the API server still gets an AdmissionReview.
                answerUndecided(review, e instanceof Error ? "error" : "exception", describe(e), e);
                return;
            }
            if (!complete(review, response, outcome)) {
                LOG.debugf("review %s decided %d ms after its deadline answer; decision discarded",
                        review.scan == null ? "?" : Messages.cap(review.scan.uid(), 64),
                        AdmissionHandler.since(review.started).toMillis() - deadline.toMillis());
            }
        } finally {
            synchronized (review) {
                review.worker = null;
                Thread.interrupted(); // an interrupt from the deadline must not reach the next review
                if (review.compensated) {
                    review.compensated = false;
                    resize(-1);
                }
            }
            release(review);
        }
    }

    /** Adds ({@code +1}) or removes ({@code -1}) a thread standing in for a worker held past its deadline. */
    private synchronized boolean resize(int change) {
        if (change > 0 && extraWorkers >= maxExtraWorkers) {
            return false;
        }
        extraWorkers += change;
        int size = baseWorkers + extraWorkers;
        if (change > 0) {
            workers.setMaximumPoolSize(size);
            workers.setCorePoolSize(size);
        } else {
            workers.setCorePoolSize(size);
            workers.setMaximumPoolSize(size);
        }
        return true;
    }

    private void onDeadline(Review review) {
        if (review.answer.isDone()) {
            return;
        }
        if (workers.remove(review)) {
            release(review); // never started
        } else {
            synchronized (review) {
                if (review.worker != null) {
                    review.worker.interrupt(); // a lookup waiting on the API server stops waiting
                    review.compensated = resize(+1);
                }
            }
        }
        answerUndecided(review, "deadline", "not decided within the " + format(deadline) + " deadline", null);
    }

    private void release(Review review) {
        if (review.released.compareAndSet(false, true)) {
            inFlightBytes.addAndGet(-review.body.length);
            inFlight.decrementAndGet();
        }
    }

    /** Answers per on-internal-error; runs on a timer thread or on the worker that failed. */
    private void answerUndecided(Review review, String reason, String what, Throwable error) {
        if (review.answer.isDone()) {
            if (error != null) {
                LOG.warnf("review %s failed after it was answered at its deadline: %s",
                        review.scan == null ? "?" : Messages.cap(review.scan.uid(), 64), what);
            }
            return;
        }
        try {
            ReviewScan.Result scan = review.scan != null ? review.scan : scanner.header(review.body);
            if (scan.uid() == null || scan.uid().isBlank()) {
                // Without a uid there is no AdmissionReview to answer; the reader says what is wrong.
                try {
                    reader.read(review.body);
                    complete(review, badRequest(what + ", and request.uid could not be read"), null);
                } catch (BadAdmissionReviewException bad) {
                    complete(review, badRequest(bad.getMessage()), null);
                }
                return;
            }
            AdmissionHandler.Outcome outcome = handler.internalError(scan.uid(), scan.kind(), scan.operation(),
                    scan.namespace(), scan.name(), scan.dryRun(), reason, what, error, review.started);
            complete(review, Response.ok(outcome.review(), MediaType.APPLICATION_JSON_TYPE).build(), outcome);
        } catch (Throwable e) {
            // Last resort: never leave the request hanging.
            LOG.errorf("cannot answer a review (%s): %s", reason, e);
            review.answer.complete(Response.serverError().type(MediaType.TEXT_PLAIN_TYPE)
                    .entity("kube-safeguard: internal error\n").build());
        }
    }

    /** Sends {@code response} unless an answer went out already; true when this one did. */
    private static boolean complete(Review review, Response response, AdmissionHandler.Outcome outcome) {
        if (!review.answer.complete(response)) {
            return false;
        }
        ScheduledFuture<?> timer = review.timer;
        if (timer != null) {
            timer.cancel(false);
        }
        if (outcome != null) {
            outcome.commit();
        }
        return true;
    }

    static Response badRequest(String message) {
        return Response.status(Response.Status.BAD_REQUEST).type(MediaType.TEXT_PLAIN_TYPE)
                .entity("kube-safeguard: " + Messages.cap(message, 2_048) + "\n").build();
    }

    private static String describe(Throwable e) {
        String message = e.getMessage();
        return e.getClass().getSimpleName() + (message == null ? "" : ": " + Messages.cap(message, 200));
    }

    private static String format(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? (millis / 1000) + "s" : millis + "ms";
    }

    /** Workers finish what they run; nothing new is accepted. Runs after the HTTP server has drained. */
    void stop(@Observes ShutdownEvent event) {
        workers.shutdown();
        try {
            if (!workers.awaitTermination(deadline.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
                LOG.warnf("%d reviews still running at shutdown", workers.getActiveCount());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        timers.shutdownNow();
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    /** One review on its way through the pool; the runnable a worker runs. */
    private static final class Review implements Runnable {
        final ReviewPool pool;
        final byte[] body;
        final long started;
        final CompletableFuture<Response> answer = new CompletableFuture<>();
        final AtomicBoolean released = new AtomicBoolean();
        volatile ReviewScan.Result scan;
        volatile ScheduledFuture<?> timer;
        /** The worker deciding it, while it does; guarded by this. */
        Thread worker;
        /** A thread was added to the pool in place of this review's worker; guarded by this. */
        boolean compensated;

        Review(ReviewPool pool, byte[] body, long started) {
            this.pool = pool;
            this.body = body;
            this.started = started;
        }

        @Override
        public void run() {
            pool.decide(this);
        }
    }
}
