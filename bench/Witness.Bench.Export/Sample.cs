using Witness.Events;

namespace Witness.Bench.Export;

/// <summary>Realistic events of a support product: ten actions, fifty users, a few hundred inboxes.</summary>
internal static class Sample
{
    private static readonly string[] Actions = ["inbox.create", "inbox.update", "team.create", "user.login", "user.logout", "macro.update", "label.create", "bot.publish", "webhook.update", "role.update"];
    private static readonly DateTimeOffset Start = new(2023, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static SubmittedEvent Event(int i)
    {
        var e = new AuditEvent
        {
            Id = $"evt-{i:D8}",
            Tenant = "bench",
            OccurredAt = Start.AddSeconds(i * 7L),
            Type = LogTypes.Activity,
            Action = Actions[i % Actions.Length],
            Category = "Inboxes",
            Actor = new EventActor { Type = ActorTypes.User, Id = $"u_{i % 50}", Name = "Zoë Ångström", Email = $"user{i % 50}@example.com", Role = "Administrator" },
            Targets = [new EventTarget { Type = "inbox", Id = $"{i % 300}", Name = "Support", Url = $"https://app.example.com/inboxes/{i % 300}" }],
            Outcome = i % 17 == 0 ? Outcomes.Failure : Outcomes.Success,
            Context = new EventContext { Ip = $"203.0.113.{i % 250}", UserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/124.0", Location = new EventLocation { Country = "IT", City = "Milan" } },
            Description = $"Renamed the inbox Support to Help desk #{i}",
        };
        return new SubmittedEvent(e, CanonicalEvent.ContentDigest(e), ClientChoseId: true);
    }
}
