package dev.safeguard.rules;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The rules one policy version runs, each with its effective action, onError and params. Immutable: a policy
 * change builds a new RuleSet, so a request in flight keeps the one it started with.
 */
public final class RuleSet {

    /**
     * A compiled rule with what this policy makes of it.
     *
     * @param onErrorOverride the policy's onError for this rule, or null to keep the rule's own
     * @param params          the checked params expressions see: the rule's defaults with the policy's overrides
     * @param enforceFrom     for a deny: from when it denies; before that its violations are would-denies. Null:
     *                        the action holds from now on
     */
    public record Entry(CompiledRule rule, Action action, Action onErrorOverride, Map<String, Object> params,
            Instant enforceFrom) {

        public Entry(CompiledRule rule, Action action, Action onErrorOverride, Map<String, Object> params) {
            this(rule, action, onErrorOverride, params, null);
        }

        public String id() {
            return rule.id();
        }

        /**
         * What a rule error (a runtime failure, or the rule over its evaluation budget) does: the policy's choice,
         * else the rule's, else {@code deny} for a deny-level security rule (an error must never let through what the
         * rule exists to stop) and {@code warn} for every other rule (shown, never silent, never blocking on a rule
         * that would not block on a violation either). The mode applies to it as to a violation: in audit mode a
         * deny is a would-deny.
         */
        public Action onError() {
            if (onErrorOverride != null) {
                return onErrorOverride;
            }
            if (rule.definition().onError() != null) {
                return rule.definition().onError();
            }
            return defaultOnError(rule.category(), action);
        }

        /** The date this deny starts denying, while {@code now} is before it; null once it denies (or for no date). */
        public Instant scheduledAfter(Instant now) {
            return action == Action.DENY && enforceFrom != null && now.isBefore(enforceFrom) ? enforceFrom : null;
        }
    }

    /** The onError of a rule that names none. */
    public static Action defaultOnError(Category category, Action action) {
        return category == Category.SECURITY && action == Action.DENY ? Action.DENY : Action.WARN;
    }

    private final List<Entry> entries;
    private final Map<String, Entry> byId;

    private RuleSet(List<Entry> entries) {
        this.entries = List.copyOf(entries);
        Map<String, Entry> index = new LinkedHashMap<>();
        for (Entry entry : this.entries) {
            index.put(entry.id(), entry);
        }
        this.byId = index;
    }

    /** Every rule with its own default action, onError and params. */
    public static RuleSet withDefaults(List<CompiledRule> rules) {
        List<Entry> entries = new ArrayList<>(rules.size());
        for (CompiledRule rule : rules) {
            entries.add(new Entry(rule, rule.definition().action(), null, rule.params().defaults()));
        }
        return new RuleSet(entries);
    }

    /** A copy with one rule's action replaced (its onError follows, unless one was set). */
    public RuleSet withAction(String id, Action action) {
        Entry current = byId.get(id);
        if (current == null) {
            throw new IllegalArgumentException("no rule with id '" + id + "'");
        }
        List<Entry> copy = new ArrayList<>(entries);
        copy.set(copy.indexOf(current), new Entry(current.rule(), action, current.onErrorOverride(), current.params(),
                null));
        return new RuleSet(copy);
    }

    /** {@link #withOverride(String, Action, Action, Map, String)} without onError, params written under "params". */
    public RuleSet withOverride(String id, Action action, Map<String, ?> params) throws InvalidParamException {
        return withOverride(id, action, null, params, "params");
    }

    /**
     * A copy with one rule's action, onError and/or params overridden. Params replace the rule's current params key
     * by key, each checked against the rule's declaration; a null argument leaves that part as it was.
     *
     * @param where where the params were written, for errors ({@code spec.rules[2].params})
     * @throws InvalidParamException for a param the rule does not declare or a value of the wrong type
     */
    public RuleSet withOverride(String id, Action action, Action onError, Map<String, ?> params, String where)
            throws InvalidParamException {
        return withOverride(id, action, onError, params, null, where);
    }

    /**
     * {@link #withOverride(String, Action, Action, Map, String)} with a date: an override that sets the action sets
     * its date too ({@code action: deny} alone denies from now on, whatever date the rule had before); one that sets
     * only {@code enforceFrom} dates the action the rule has.
     */
    public RuleSet withOverride(String id, Action action, Action onError, Map<String, ?> params, Instant enforceFrom,
            String where) throws InvalidParamException {
        Entry current = byId.get(id);
        if (current == null) {
            throw new IllegalArgumentException("no rule with id '" + id + "'");
        }
        Map<String, Object> merged = params == null || params.isEmpty() ? current.params()
                : current.rule().params().merge(current.params(), params, where);
        Instant dated = action != null || enforceFrom != null ? enforceFrom : current.enforceFrom();
        Entry replaced = new Entry(current.rule(), action == null ? current.action() : action,
                onError == null ? current.onErrorOverride() : onError, merged, dated);
        List<Entry> copy = new ArrayList<>(entries);
        copy.set(copy.indexOf(current), replaced);
        return new RuleSet(copy);
    }

    /** A copy with further rules added, each with its own default action and params. */
    public RuleSet plus(List<CompiledRule> rules) {
        List<Entry> combined = new ArrayList<>(entries);
        combined.addAll(withDefaults(rules).entries);
        return new RuleSet(combined);
    }

    /**
     * What keeps this rule set from running: enabled rules that lack a required param, as "rule 'x' needs
     * params.y (a list of strings)".
     */
    public List<String> problems() {
        List<String> problems = new ArrayList<>();
        for (Entry entry : entries) {
            if (entry.action() != Action.OFF) {
                for (String missing : entry.rule().params().missing(entry.params())) {
                    problems.add("rule '" + entry.id() + "' needs " + missing + " when it is on");
                }
            }
        }
        return problems;
    }

    public List<Entry> entries() {
        return entries;
    }

    public Optional<Entry> find(String id) {
        return Optional.ofNullable(byId.get(id));
    }

    public boolean contains(String id) {
        return byId.containsKey(id);
    }
}
