package dev.safeguard.server;

import dev.safeguard.config.SafeguardConfig;
import dev.safeguard.metrics.SafeguardMetrics;
import dev.safeguard.rules.Action;
import dev.safeguard.rules.CompiledRule;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.PolicyDates;
import dev.safeguard.rules.PolicyLoader;
import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleLoadException;
import dev.safeguard.rules.RuleLoader;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import jakarta.enterprise.event.Event;
import org.jboss.logging.Logger;

/**
 * Holds the policy version serving requests and swaps it atomically when the policy file changes.
 *
 * <p>At start-up a bad policy stops the process with the loader's message. Later, a bad edit is logged and
 * counted and the last good policy keeps serving; readiness stays up. Requests read {@link #current()}
 * once, so each is decided by exactly one version.
 */
@Startup
@ApplicationScoped
public class PolicyHolder {

    private static final Logger LOG = Logger.getLogger(PolicyHolder.class);

    private final SafeguardMetrics metrics;
    private final boolean ratcheting;
    private final PolicyLoader loader;
    private final Optional<Path> file;
    private final PolicyFileWatcher watcher;
    private final Event<Changed> changes;
    private volatile Policy current;
    /** Fingerprint (or read error) of the last file content that failed to load. */
    private String lastRejected;

    /** Fired after a reload installed a new policy, so that what depends on it (the informers) follows. */
    public record Changed(Policy policy) {
    }

    public PolicyHolder(SafeguardMetrics metrics, SafeguardConfig config, Event<Changed> changes)
            throws RuleLoadException {
        this.metrics = metrics;
        this.ratcheting = config.ratcheting();
        this.changes = changes;
        Optional<String> path = config.policy().path();
        Duration checkInterval = config.policy().checkInterval();
        RuleLoader ruleLoader = new RuleLoader(new RuleCompiler());
        List<CompiledRule> pack = ruleLoader.loadBuiltInPack();
        this.loader = new PolicyLoader(ruleLoader, pack);
        this.file = path.filter(p -> !p.isBlank()).map(Path::of);
        if (file.isPresent()) {
            Policy policy;
            try {
                policy = loader.load(file.get());
            } catch (RuleLoadException e) {
                metrics.recordPolicyReload("failure");
                // Said plainly before Quarkus prints its start-up failure with the stack trace.
                LOG.errorf("cannot start: the policy file is not usable: %s", e.getMessage());
                throw e;
            }
            install(policy, "loaded");
            watcher = new PolicyFileWatcher(file.get(), checkInterval, this::reload);
            watcher.start();
        } else {
            install(Policy.builtIn(pack), "no safeguard.policy.path set: using");
            watcher = null;
        }
    }

    void stop(@Observes ShutdownEvent event) {
        if (watcher != null) {
            watcher.close();
        }
    }

    /**
     * Re-reads the policy file; keeps the current policy when the new one is bad. Content already serving,
     * or already found bad, is not parsed again, so a bad file is logged and counted once, not every check.
     */
    public synchronized boolean reload() {
        if (file.isEmpty()) {
            return false;
        }
        String text;
        try {
            text = Files.readString(file.get(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            rejected("cannot read " + file.get() + ": " + e.getMessage(), "unreadable:" + e.getMessage());
            return false;
        }
        String version = PolicyLoader.fingerprint(text);
        if (version.equals(current.version()) || version.equals(lastRejected)) {
            return false;
        }
        try {
            install(loader.parse(file.get().toString(), text), "reloaded");
            lastRejected = null;
            changes.fire(new Changed(current));
            return true;
        } catch (RuleLoadException e) {
            rejected(e.getMessage(), version);
            return false;
        }
    }

    private void rejected(String reason, String what) {
        if (what.equals(lastRejected)) {
            return;
        }
        lastRejected = what;
        metrics.recordPolicyReload("failure");
        LOG.errorf("policy reload failed, still serving %s (version %s): %s", current.name(), current.version(), reason);
    }

    private void install(Policy policy, String how) {
        Policy effective = policy.withRatcheting(ratcheting);
        current = effective;
        metrics.recordPolicyReload("success");
        metrics.recordPolicyInfo(effective.version(), effective.mode());
        metrics.recordPolicyKinds(effective.rules().entries().stream()
                .flatMap(entry -> entry.rule().definition().match().kinds().stream()).distinct().toList());
        metrics.recordScheduledEnforcements(effective.scheduledEnforcements());
        long enabled = effective.rules().entries().stream().filter(e -> e.action() != Action.OFF).count();
        LOG.infof("%s policy %s (version %s): mode %s, %d rules (%d enabled), excluded namespaces %s, ratcheting %s",
                how, effective.name(), effective.version(), effective.mode().id(), effective.rules().entries().size(),
                enabled, effective.excludedNamespaces(), ratcheting ? "on" : "off");
        if (effective.readsNamespaceLabels()) {
            LOG.infof("policy %s: namespace entries %s (first match wins), team label %s", effective.name(),
                    effective.namespaces().stream().map(entry -> entry.name() + " (" + entry.mode().id() + ")").toList(),
                    effective.teamLabel() == null ? "none" : effective.teamLabel());
        }
        effective.scheduledEnforcements().forEach(scheduled -> LOG.infof("policy %s: rule %s denies from %s in %s",
                effective.name(), scheduled.ruleId(), PolicyDates.format(scheduled.enforceFrom()), scheduled.scope()));
    }

    /** The policy to decide one request with; never null once the application has started. */
    public Policy current() {
        return current;
    }
}
