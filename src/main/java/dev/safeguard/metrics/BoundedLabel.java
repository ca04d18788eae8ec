package dev.safeguard.metrics;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;
import org.jboss.logging.Logger;

/**
 * A metric label whose values come from the cluster (namespaces, teams): a value that is well formed and among the
 * first {@code max} seen is itself, every later one is {@value SafeguardMetrics#OTHER}, so that no cluster, however
 * large, adds series without limit. Empty stays empty (no namespace, no team).
 */
final class BoundedLabel {

    private static final Logger LOG = Logger.getLogger(BoundedLabel.class);

    private final String name;
    private final Pattern valid;
    private final int max;
    private final String raiseWith;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean full = new AtomicBoolean();

    /**
     * @param name      the label, for the log line when it is full
     * @param valid     what a value must look like to be kept
     * @param raiseWith the setting that raises {@code max}, for that log line
     */
    BoundedLabel(String name, Pattern valid, int max, String raiseWith) {
        this.name = name;
        this.valid = valid;
        this.max = max;
        this.raiseWith = raiseWith;
    }

    String value(String value) {
        if (value == null || value.isEmpty()) {
            return "";
        }
        if (value.length() > 63 || !valid.matcher(value).matches()) {
            return SafeguardMetrics.OTHER;
        }
        if (seen.contains(value)) {
            return value;
        }
        synchronized (seen) {
            if (seen.size() < max) {
                seen.add(value);
                return value;
            }
        }
        if (full.compareAndSet(false, true)) {
            LOG.warnf("metrics: more than %d values of label %s seen; further ones are labelled %s=\"other\" (raise %s)",
                    max, name, name, raiseWith);
        }
        return SafeguardMetrics.OTHER;
    }
}
