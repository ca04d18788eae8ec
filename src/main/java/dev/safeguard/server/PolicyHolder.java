package dev.safeguard.server;

import dev.safeguard.metrics.SafeguardMetrics;
import dev.safeguard.rules.Policy;
import dev.safeguard.rules.RuleCompiler;
import dev.safeguard.rules.RuleLoadException;
import dev.safeguard.rules.RuleLoader;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Holds the policy version serving requests. Loaded once at start-up (a broken built-in pack stops the
 * process with the loader's message); readers take {@link #current()} once per request.
 */
@Startup
@ApplicationScoped
public class PolicyHolder {

    private static final Logger LOG = Logger.getLogger(PolicyHolder.class);

    private final SafeguardMetrics metrics;
    private volatile Policy current;

    public PolicyHolder(SafeguardMetrics metrics,
            @ConfigProperty(name = "safeguard.ratcheting", defaultValue = "true") boolean ratcheting)
            throws RuleLoadException {
        this.metrics = metrics;
        Policy policy = Policy.builtIn(new RuleLoader(new RuleCompiler()).loadBuiltInPack()).withRatcheting(ratcheting);
        install(policy);
    }

    private void install(Policy policy) {
        current = policy;
        metrics.recordPolicyInfo(policy.version(), policy.mode());
        LOG.infof("policy %s (version %s) serving: mode %s, %d rules, %d enabled", policy.name(), policy.version(),
                policy.mode().id(), policy.rules().entries().size(),
                policy.rules().entries().stream().filter(e -> e.action() != dev.safeguard.rules.Action.OFF).count());
    }

    /** The policy to decide one request with; never null once the application has started. */
    public Policy current() {
        return current;
    }
}
