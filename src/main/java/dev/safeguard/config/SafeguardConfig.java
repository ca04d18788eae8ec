package dev.safeguard.config;

import io.quarkus.runtime.configuration.MemorySize;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/**
 * Every {@code safeguard.*} setting of the running service, typed: a value that does not convert (a typo in an enum
 * such as {@code on-internal-error}, a malformed duration) stops start-up with the property's name instead of
 * silently becoming a default. Environment variables map as usual ({@code SAFEGUARD_ADMISSION_ON_INTERNAL_ERROR}).
 * The command line ({@code safeguard check}) does not start Quarkus and reads none of this.
 */
@ConfigMapping(prefix = "safeguard")
public interface SafeguardConfig {

    /** UPDATE ratcheting: deny an UPDATE only for violations the old object did not already have. */
    @WithDefault("true")
    boolean ratcheting();

    PolicyFile policy();

    Admission admission();

    Metrics metrics();

    Context context();

    Ownership ownership();

    Audit audit();

    Tls tls();

    /** The SafeguardPolicy file the webhook serves, reloaded when it changes. */
    interface PolicyFile {
        /** The file; without it the built-in pack runs in enforce mode. */
        Optional<String> path();

        /** How often the file is checked besides the directory watch. */
        @WithDefault("5s")
        Duration checkInterval();
    }

    interface Admission {
        /** What a review gets when the rules gave no answer (deadline, overload, a bug; not a rule error). */
        @WithDefault("allow")
        OnInternalError onInternalError();

        /** A review not decided within this is answered per on-internal-error. */
        @WithDefault("3s")
        Duration deadline();

        /** Worker threads deciding reviews; 0: one per core, at least 2. */
        @WithDefault("0")
        int workers();

        /** Reviews waiting for a worker before the webhook answers "overloaded". */
        @WithDefault("64")
        int queue();

        /** Threads added in place of workers still running past their deadline. */
        @WithDefault("8")
        int maxExtraWorkers();

        /** Request bodies held at once, at most. */
        @WithDefault("48M")
        MemorySize maxInFlightBytes();

        /** Structural bounds on the object under review, checked before the rules run. */
        Limits limits();
    }

    /** An object over one of these is not judged by the rules: denied in enforce mode, warned about in audit mode. */
    interface Limits {
        @WithDefault("64")
        int maxDepth();

        @WithDefault("200000")
        int maxValues();

        @WithDefault("5000")
        int maxListItems();

        @WithDefault("262144")
        int maxStringLength();

        @WithDefault("200")
        int maxContainers();

        @WithDefault("1000")
        int maxEnv();
    }

    /** Answer of the webhook when it fails to decide: allow (as failurePolicy Ignore would) or deny. */
    enum OnInternalError {
        ALLOW, DENY
    }

    interface Metrics {
        /** Label safeguard_admission_rejections_total by namespace (off for clusters with very many namespaces). */
        @WithDefault("true")
        boolean namespaceLabel();

        /** Namespaces labelled by name at most; further ones are labelled "other". */
        @WithDefault("500")
        int maxNamespaces();

        /** Teams (values of the policy's teamLabel) labelled by name at most; further ones are labelled "other". */
        @WithDefault("100")
        int maxTeams();
    }

    interface Context {
        /** Context rules read other objects from informer caches of the API server. */
        @WithDefault("false")
        boolean enabled();
    }

    interface Ownership {
        /** How long one GET of an owner the informer has not delivered yet may take. */
        @WithDefault("1s")
        Duration lookupTimeout();
    }

    /** The background audit ({@code safeguard audit}). */
    interface Audit {
        @WithDefault("false")
        boolean enabled();

        /** At most this many results per report. */
        @WithDefault("1000")
        int maxResults();

        @WithDefault("policyreport")
        ReportFormat reportFormat();

        /** How often changed namespaces are re-judged and their reports written. */
        @WithDefault("500ms")
        Duration interval();
    }

    /** The report kind the audit writes: wgpolicyk8s.io PolicyReport or OpenReports Report. */
    enum ReportFormat {
        POLICYREPORT, OPENREPORTS
    }

    /** The serving certificate (PEM files); generated for localhost when not configured. */
    interface Tls {
        Optional<String> cert();

        Optional<String> key();

        /** Set by the process itself when it generated a self-signed certificate: the certificate file. */
        Optional<String> generated();

        /** How often the certificate files are checked for a renewed pair. */
        @WithDefault("1m")
        Duration checkInterval();
    }
}
