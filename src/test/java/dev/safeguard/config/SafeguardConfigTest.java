package dev.safeguard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quarkus.runtime.configuration.DurationConverter;
import io.quarkus.runtime.configuration.MemorySize;
import io.quarkus.runtime.configuration.MemorySizeConverter;
import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The typed configuration, read the way Quarkus reads it (SmallRye Config with the mapping): defaults, environment-
 * style names, and a value that does not convert refused with the property's name rather than defaulted.
 */
class SafeguardConfigTest {

    static SafeguardConfig config(Map<String, String> properties) {
        SmallRyeConfig config = new SmallRyeConfigBuilder()
                .withMapping(SafeguardConfig.class)
                // Quarkus's converters: "5s", "200ms", "48M"
                .withConverter(Duration.class, 200, new DurationConverter())
                .withConverter(MemorySize.class, 200, new MemorySizeConverter())
                .withSources(new PropertiesConfigSource(properties, "test", 500))
                .withValidateUnknown(false)
                .build();
        return config.getConfigMapping(SafeguardConfig.class);
    }

    @Test
    void defaultsAreThoseTheDocsName() {
        SafeguardConfig config = config(Map.of());

        assertThat(config.ratcheting()).isTrue();
        assertThat(config.policy().path()).isEmpty();
        assertThat(config.policy().checkInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.admission().onInternalError()).isEqualTo(SafeguardConfig.OnInternalError.ALLOW);
        assertThat(config.metrics().namespaceLabel()).isTrue();
        assertThat(config.context().enabled()).isFalse();
        assertThat(config.ownership().lookupTimeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.audit().enabled()).isFalse();
        assertThat(config.audit().maxResults()).isEqualTo(1000);
        assertThat(config.audit().reportFormat()).isEqualTo(SafeguardConfig.ReportFormat.POLICYREPORT);
        assertThat(config.audit().interval()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void valuesAreReadTyped() {
        SafeguardConfig config = config(Map.of(
                "safeguard.admission.on-internal-error", "deny",
                "safeguard.audit.report-format", "openreports",
                "safeguard.policy.check-interval", "200ms",
                "safeguard.policy.path", "/etc/kube-safeguard/policy/policy.yaml"));

        assertThat(config.admission().onInternalError()).isEqualTo(SafeguardConfig.OnInternalError.DENY);
        assertThat(config.audit().reportFormat()).isEqualTo(SafeguardConfig.ReportFormat.OPENREPORTS);
        assertThat(config.policy().checkInterval()).isEqualTo(Duration.ofMillis(200));
        assertThat(config.policy().path()).contains("/etc/kube-safeguard/policy/policy.yaml");
    }

    @Test
    void aTypoInAnEnumValueIsAStartUpErrorNamingTheProperty() {
        // It used to be read as a string and anything but "deny" meant allow: a typo silently chose fail-open.
        assertThatThrownBy(() -> config(Map.of("safeguard.admission.on-internal-error", "dney")))
                .hasStackTraceContaining("safeguard.admission.on-internal-error")
                .hasStackTraceContaining("dney")
                .hasStackTraceContaining("allowed values: allow,deny");
        assertThatThrownBy(() -> config(Map.of("safeguard.audit.report-format", "kyverno")))
                .hasStackTraceContaining("safeguard.audit.report-format")
                .hasStackTraceContaining("allowed values: policyreport,openreports");
        assertThatThrownBy(() -> config(Map.of("safeguard.policy.check-interval", "5 seconds")))
                .hasStackTraceContaining("safeguard.policy.check-interval");
        assertThatThrownBy(() -> config(Map.of("safeguard.audit.max-results", "lots")))
                .hasStackTraceContaining("safeguard.audit.max-results");
    }
}
