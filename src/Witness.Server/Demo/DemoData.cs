using System.Text.Json;
using Witness.Catalog;
using Witness.Events;
using Witness.Ingest;

namespace Witness.Server.Demo;

/// <summary>
/// Fills the <c>demo</c> tenant with a month of realistic activity from a help desk: inboxes,
/// teams, automation rules, sign-ins and failed sign-ins, role changes with before/after values.
/// The same seed gives the same events, so a demo is reproducible. Most events carry no description:
/// the demo tenant's catalog (<see cref="Presets"/>) renders it at ingest, as it would for a product
/// that relies on templates.
/// </summary>
internal static class DemoData
{
    public const string Tenant = "demo";
    public const int EventCount = 3000;

    /// <summary>
    /// The presets loaded into the demo tenant's layer, in order: a later preset's entry replaces an
    /// earlier one of the same action, so sign-ins read as the help desk's and automation rules as
    /// the live-agent console's. Together they cover every action <see cref="Generate"/> emits.
    /// </summary>
    public static IReadOnlyList<string> Presets { get; } = ["admin-centre", "help-desk", "live-agent-console"];

    private static readonly (string Id, string Name, string Email, string Role, string Ip, string Country, string City)[] People =
    [
        ("u_1", "Ada Admin", "ada@acme.example", "Administrator", "203.0.113.7", "IT", "Milan"),
        ("u_2", "Bruno Bianchi", "bruno@acme.example", "Agent", "198.51.100.23", "IT", "Rome"),
        ("u_3", "Chloé Dubois", "chloe@acme.example", "Supervisor", "192.0.2.44", "FR", "Lyon"),
        ("u_4", "Dmitri Volkov", "dmitri@acme.example", "Agent", "198.51.100.90", "DE", "Berlin"),
        ("u_5", "Eva Novák", "eva@acme.example", "Administrator", "203.0.113.150", "CZ", "Prague"),
        ("u_6", "Farid Haddad", "farid@acme.example", "Agent", "192.0.2.200", "ES", "Madrid"),
        ("u_7", "Grace Kim", "grace@acme.example", "Auditor", "198.51.100.4", "GB", "London"),
        ("u_8", "Hiro Tanaka", "hiro@acme.example", "Agent", "203.0.113.61", "JP", "Osaka"),
    ];

    private static readonly string[] Inboxes = ["Support", "Billing", "Sales", "Partners", "VIP", "Returns"];
    private static readonly string[] Teams = ["Tier 1", "Tier 2", "Escalations", "Night shift"];
    private static readonly string[] Rules = ["Auto-assign billing", "Close stale tickets", "Tag VIP senders", "Route Italian to Milan"];
    private static readonly string[] Roles = ["Agent", "Supervisor", "Administrator", "Auditor"];
    private static readonly string[] Agents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    ];

    /// <summary>Appends the demo events, completed from the demo tenant's catalog, unless the demo tenant already has a log.</summary>
    public static async Task<int> FillAsync(EventIntake intake, TimeProvider clock, CancellationToken ct, Storage.IWitnessStore? store = null)
    {
        if (store is not null && await store.GetFrontierAsync(Tenant, ct) is { Size: > 0 })
        {
            return 0;
        }

        var events = Generate(clock.GetUtcNow(), EventCount);
        foreach (var batch in events.Chunk(500))
        {
            await intake.RecordAsync(batch, idempotent: true, ct);
        }

        return events.Count;
    }

    /// <summary>The demo events, oldest first, spread over the 30 days before <paramref name="now"/>.</summary>
    public static List<AuditEvent> Generate(DateTimeOffset now, int count)
    {
        var random = new Random(20230622);
        var start = now.AddDays(-30);
        var step = TimeSpan.FromDays(30).Ticks / count;
        var events = new List<AuditEvent>(count);
        for (var i = 0; i < count; i++)
        {
            var at = EventParser.Truncate(start.AddTicks((step * i) + random.NextInt64(step)));
            var who = People[random.Next(People.Length)];
            var pick = random.Next(100);
            var e = pick switch
            {
                < 25 => SignIn(who, success: true),
                < 33 => SignIn(who, success: false),
                < 38 => Plain(who, "user.logout", "Authentication", LogTypes.Access, null, []),
                < 55 => Inbox(random, who),
                < 68 => Team(random, who),
                < 80 => Rule(random, who),
                < 88 => RoleChange(random, who),
                < 94 => Webhook(random),
                _ => Integration(random),
            };
            events.Add(e with
            {
                Id = $"demo-{i + 1:D5}",
                Tenant = Tenant,
                OccurredAt = at,
                Context = e.Actor.Type == ActorTypes.User ? Context(random, who) : null,
            });
        }

        return events;
    }

    private static EventActor Actor((string Id, string Name, string Email, string Role, string Ip, string Country, string City) who) =>
        new() { Type = ActorTypes.User, Id = who.Id, Name = who.Name, Email = who.Email, Role = who.Role };

    private static EventContext Context(Random random, (string Id, string Name, string Email, string Role, string Ip, string Country, string City) who) => new()
    {
        Ip = who.Ip,
        UserAgent = Agents[random.Next(Agents.Length)],
        Location = new EventLocation { Country = who.Country, City = who.City },
        Source = "form",
        Brand = "Acme Support",
        SessionId = $"s_{random.Next(1000, 9999)}",
        RequestId = $"r_{random.Next(100000, 999999)}",
    };

    private static AuditEvent Plain((string Id, string Name, string Email, string Role, string Ip, string Country, string City) who, string action, string category, string type, string? description, IReadOnlyList<EventTarget> targets) => new()
    {
        Id = "",
        Tenant = Tenant,
        OccurredAt = default,
        Type = type,
        Action = action,
        Category = category,
        Actor = Actor(who),
        Targets = targets,
        Outcome = Outcomes.Success,
        Description = description,
    };

    private static AuditEvent SignIn((string Id, string Name, string Email, string Role, string Ip, string Country, string City) who, bool success) =>
        Plain(who, success ? "user.login" : "user.login_failed", "Authentication", LogTypes.Access, null, []) with
        {
            Outcome = success ? Outcomes.Success : Outcomes.Failure,
            Reason = success ? null : "Wrong password",
        };

    private static AuditEvent Inbox(Random random, (string Id, string Name, string Email, string Role, string Ip, string Country, string City) who)
    {
        var name = Inboxes[random.Next(Inboxes.Length)];
        var id = random.Next(24000, 25000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var target = new EventTarget { Type = "inbox", Id = id, Name = name, Url = $"https://app.example.com/inboxes/{id}" };
        return random.Next(3) switch
        {
            0 => Plain(who, "inbox.create", "Inboxes", LogTypes.Activity, null, [target]),
            1 => Plain(who, "inbox.update", "Inboxes", LogTypes.Activity, null, [target]) with
            {
                Changes = Changes(new { name, greeting = "Hi!", auto_assign = false }, new { name = name + " desk", greeting = "Hello, how can we help?", auto_assign = true }),
            },
            _ => Plain(who, "inbox.delete", "Inboxes", LogTypes.Activity, null, [target]),
        };
    }

    private static AuditEvent Team(Random random, (string Id, string Name, string Email, string Role, string Ip, string Country, string City) who)
    {
        var name = Teams[random.Next(Teams.Length)];
        var id = random.Next(100, 200).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var target = new EventTarget { Type = "team", Id = id, Name = name };
        return random.Next(3) switch
        {
            0 => Plain(who, "team.create", "Teams", LogTypes.Activity, null, [target]),
            1 => Plain(who, "team.update", "Teams", LogTypes.Activity, null, [target]) with
            {
                Changes = Changes(new { name, members = 4 }, new { name, members = 5 }),
            },
            _ => Plain(who, "team.delete", "Teams", LogTypes.Activity, null, [target]),
        };
    }

    private static AuditEvent Rule(Random random, (string Id, string Name, string Email, string Role, string Ip, string Country, string City) who)
    {
        var name = Rules[random.Next(Rules.Length)];
        var id = random.Next(300, 400).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var target = new EventTarget { Type = "automation_rule", Id = id, Name = name };
        return random.Next(3) switch
        {
            0 => Plain(who, "automation_rule.create", "Automation rules", LogTypes.Activity, null, [target]),
            1 => Plain(who, "automation_rule.update", "Automation rules", LogTypes.Activity, null, [target]) with
            {
                Changes = Changes(new { name, active = true, conditions = 2 }, new { name, active = false, conditions = 3 }),
            },
            _ => Plain(who, "automation_rule.delete", "Automation rules", LogTypes.Activity, null, [target]),
        };
    }

    private static AuditEvent RoleChange(Random random, (string Id, string Name, string Email, string Role, string Ip, string Country, string City) who)
    {
        var subject = People[random.Next(People.Length)];
        var from = Roles[random.Next(Roles.Length)];
        var to = Roles[random.Next(Roles.Length)];
        return Plain(who, "agent.role.change", "Agent management", LogTypes.Activity, null,
            [new EventTarget { Type = "agent", Id = subject.Id, Name = subject.Name }]) with
        {
            Changes = Changes(new { role = from }, new { role = to }),
        };
    }

    private static AuditEvent Webhook(Random random)
    {
        var status = new[] { 500, 502, 503, 504, 410 }[random.Next(5)];
        return new AuditEvent
        {
            Id = "",
            Tenant = Tenant,
            OccurredAt = default,
            Type = LogTypes.WebhookFailure,
            Action = "webhook.delivery_failed",
            Category = "Webhooks",
            Actor = EventActor.System,
            Targets = [new EventTarget { Type = "webhook", Id = "wh_" + random.Next(10, 20), Name = "https://hooks.partner.example/witness" }],
            Outcome = Outcomes.Failure,
            Reason = $"HTTP {status} after 5 attempts",
            Metadata = JsonSerializer.SerializeToElement(new { status_code = status, attempts = 5, last_error = $"Response status code {status}" }),
        };
    }

    private static AuditEvent Integration(Random random)
    {
        var name = new[] { "Salesforce", "Slack", "Shopify", "Zendesk" }[random.Next(4)];
        return new AuditEvent
        {
            Id = "",
            Tenant = Tenant,
            OccurredAt = default,
            Type = LogTypes.IntegrationFailure,
            Action = "integration.failure",
            Category = "Integrations",
            Actor = new EventActor { Type = ActorTypes.Service, Id = name.ToLowerInvariant(), Name = name },
            Outcome = Outcomes.Failure,
            Reason = "Token expired",
            Metadata = JsonSerializer.SerializeToElement(new { integration_name = name, integration_type = "crm", failure_type = "auth", details = "OAuth token expired" }),
        };
    }

    private static EventChanges Changes(object before, object after) =>
        new() { Before = JsonSerializer.SerializeToElement(before), After = JsonSerializer.SerializeToElement(after) };
}
