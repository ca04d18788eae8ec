package dev.safeguard.server;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Calls back when the policy file may have changed. A mounted ConfigMap changes by swapping a symlink in
 * the file's directory, which a watch on the file alone would miss, so the directory is watched; a check
 * every interval also catches changes a watch cannot see (some network filesystems). The callback compares
 * content, so spurious wake-ups cost one small file read.
 */
final class PolicyFileWatcher implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(PolicyFileWatcher.class);

    private final Path file;
    private final Duration interval;
    private final Runnable onChange;
    private final Thread thread;
    private volatile boolean running = true;
    private WatchService watchService;

    PolicyFileWatcher(Path file, Duration interval, Runnable onChange) {
        this.file = file.toAbsolutePath();
        this.interval = interval;
        this.onChange = onChange;
        this.thread = new Thread(this::watch, "safeguard-policy-watcher");
        this.thread.setDaemon(true);
    }

    void start() {
        try {
            watchService = FileSystems.getDefault().newWatchService();
            file.getParent().register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            LOG.warnf("cannot watch %s (%s); checking it every %s instead", file.getParent(), e.getMessage(), interval);
            watchService = null;
        }
        thread.start();
    }

    private void watch() {
        while (running) {
            try {
                if (watchService != null) {
                    var key = watchService.poll(interval.toMillis(), TimeUnit.MILLISECONDS);
                    if (key != null) {
                        key.pollEvents();
                        key.reset();
                    }
                } else {
                    Thread.sleep(interval.toMillis());
                }
                if (running) {
                    onChange.run();
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            } catch (RuntimeException e) {
                LOG.errorf(e, "policy watcher: unexpected error, continuing");
            }
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                LOG.debugf("closing the watch service: %s", e.getMessage());
            }
        }
    }
}
