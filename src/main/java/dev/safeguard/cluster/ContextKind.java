package dev.safeguard.cluster;

import dev.safeguard.rules.ApiResource;
import java.util.Optional;
import java.util.Set;

/**
 * The kinds the webhook can watch: those a rule may declare in {@code related:}, the owners whose objects
 * inherit their verdicts, and (for the background audit) every kind the built-in rules judge, all of which
 * the chart's RBAC lets it list and watch, and Namespace, whose labels pick a namespace's policy and team. A rule asking for another one
 * sees no context for it (and the start-up log says so).
 */
final class ContextKind {

    static final Set<String> WATCHABLE = Set.of("PodDisruptionBudget", "Service", "Deployment", "StatefulSet",
            "ReplicaSet", "HorizontalPodAutoscaler", "DaemonSet", "Job", "CronJob", "ReplicationController", "Pod", "Namespace");

    private ContextKind() {
    }

    static Optional<ApiResource> of(String kind) {
        return WATCHABLE.contains(kind) ? ApiResource.of(kind) : Optional.empty();
    }
}
