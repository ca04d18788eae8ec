package dev.safeguard.cli;

import dev.safeguard.rules.PolicyDates;
import dev.safeguard.rules.PolicyEngine;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * When and where objects are judged offline, so that a run answers as the webhook would there and then:
 * {@code --at} (the moment: dated enforcement, exemption ends) and {@code --namespace-labels} (the labels that pick a
 * namespace's policy and team).
 */
final class JudgementOptions {

    @CommandLine.Spec(CommandLine.Spec.Target.MIXEE)
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--at", paramLabel = "DATE",
            description = "Judge as of this moment instead of now: an RFC 3339 date (2027-01-15, meaning 00:00 UTC) or "
                    + "date-time. Previews a rule's enforceFrom and exemptions' exempt-until.")
    String at;

    @Option(names = "--namespace-labels", paramLabel = "KEY=VALUE", split = ",",
            description = "Labels of the namespaces judged (comma-separated), for the policy's spec.namespaces "
                    + "selectors and teamLabel. They apply to every namespace; a Namespace in the input adds its own "
                    + "labels, and these win.")
    Map<String, String> namespaceLabels = new LinkedHashMap<>();

    /** An engine whose now is {@code --at}, or the system clock's. */
    PolicyEngine engine() {
        if (at == null || at.isBlank()) {
            return new PolicyEngine();
        }
        try {
            Instant moment = PolicyDates.parse(at);
            return new PolicyEngine(Clock.fixed(moment, ZoneOffset.UTC));
        } catch (DateTimeParseException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--at: " + PolicyDates.expected("date", at));
        }
    }

    Map<String, String> namespaceLabels() {
        return Map.copyOf(namespaceLabels);
    }
}
