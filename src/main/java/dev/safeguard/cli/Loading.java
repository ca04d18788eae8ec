package dev.safeguard.cli;

import dev.safeguard.rules.RuleLoadException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Rule loading on a daemon thread of its own, so that a short run overlaps it with other start-up work; a load error
 * comes back from {@link #join} as the same {@link RuleLoadException}, and a process never waits for the thread.
 */
final class Loading {

    /** What is loaded: may fail with a load error naming the file and rule. */
    @FunctionalInterface
    interface Task<T> {
        T load() throws RuleLoadException;
    }

    private Loading() {
    }

    static <T> CompletableFuture<T> start(String threadName, Task<T> task) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return task.load();
            } catch (RuleLoadException e) {
                throw new CompletionException(e);
            }
        }, runnable -> {
            Thread thread = new Thread(runnable, threadName);
            thread.setDaemon(true);
            thread.start();
        });
    }

    static <T> T join(CompletableFuture<T> loading) throws RuleLoadException {
        try {
            return loading.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuleLoadException problem) {
                throw problem;
            }
            throw e;
        }
    }
}
