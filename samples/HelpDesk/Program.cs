using HelpDesk;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.EntityFrameworkCore;
using Witness.AspNetCore;
using Witness.Client;
using Witness.EntityFrameworkCore;

var builder = WebApplication.CreateBuilder(args);

// Witness__Endpoint and Witness__ApiKey (environment) or the "Witness" section of appsettings.json.
builder.Services.AddWitnessClient(
    o => builder.Configuration.GetSection("Witness").Bind(o),
    resilience: r =>
    {
        // A sample wants to see Witness coming back quickly; the outbox retries anyway.
        r.Retry.Delay = TimeSpan.FromMilliseconds(200);
        r.Retry.MaxRetryAttempts = 2;
    });
builder.Services.AddWitnessAspNetCore();
builder.Services.AddWitnessEntityFrameworkCore<HelpDeskDb>(o =>
{
    o.UseOutbox = true;
    o.Map<Inbox>("inbox", i => i.Name);
    o.Map<Team>("team", t => t.Name);
    o.Map<AutomationRule>("automation_rule", r => r.Name);
    o.Map<InboxWebhook>("inbox_webhook", w => w.Url);
    o.Map<InboxCollaborator>("inbox_collaborator", c => c.Email);
});
builder.Services.AddDbContext<HelpDeskDb>((sp, o) => o
    .UseSqlite(builder.Configuration.GetConnectionString("HelpDesk") ?? "Data Source=helpdesk.db")
    .AddWitnessInterceptor(sp));
builder.Services.AddAuthentication(DemoSignIn.SchemeName).AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, DemoSignIn>(DemoSignIn.SchemeName, null);
builder.Services.AddAuthorization();
builder.Services.Configure<ForwardedHeadersOptions>(o => o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto);

var app = builder.Build();
using (var scope = app.Services.CreateScope())
{
    var db = scope.ServiceProvider.GetRequiredService<HelpDeskDb>();
    db.Database.EnsureCreated();
    db.Database.ExecuteSqlRaw("PRAGMA journal_mode=WAL;");
}

app.UseForwardedHeaders();
app.UseAuthentication();
app.UseAuthorization();

app.MapGet("/", () => Results.Text("HelpDesk sample: POST/PUT/DELETE /inboxes, /teams, /automation-rules with the X-Demo-User header. Every change is recorded in Witness."));

var api = app.MapGroup("").RequireAuthorization();

api.MapGet("/inboxes", async (HelpDeskDb db) => await db.Inboxes.AsNoTracking().OrderBy(i => i.Id).ToListAsync());
api.MapPost("/inboxes", async (InboxInput input, HelpDeskDb db) =>
{
    if (Invalid(input.Name) is { } problem)
    {
        return problem;
    }

    var inbox = new Inbox { Name = input.Name!, Channel = input.Channel ?? "email", Greeting = input.Greeting };
    db.Inboxes.Add(inbox);
    await db.SaveChangesAsync();
    return Results.Created($"/inboxes/{inbox.Id}", inbox);
});
api.MapPut("/inboxes/{id:int}", async (int id, InboxInput input, HelpDeskDb db) =>
{
    // Loaded, then changed: the event carries each changed property's value before and after.
    var inbox = await db.Inboxes.FindAsync(id);
    if (inbox is null)
    {
        return Results.NotFound();
    }

    inbox.Name = input.Name ?? inbox.Name;
    inbox.Channel = input.Channel ?? inbox.Channel;
    inbox.Greeting = input.Greeting ?? inbox.Greeting;
    await db.SaveChangesAsync();
    return Results.Ok(inbox);
});
api.MapDelete("/inboxes/{id:int}", async (int id, HelpDeskDb db) => await DeleteAsync(db, db.Inboxes, id));

api.MapPost("/teams", async (TeamInput input, HelpDeskDb db) =>
{
    if (Invalid(input.Name) is { } problem)
    {
        return problem;
    }

    var team = new Team { Name = input.Name!, Description = input.Description };
    db.Teams.Add(team);
    await db.SaveChangesAsync();
    return Results.Created($"/teams/{team.Id}", team);
});
api.MapPut("/teams/{id:int}", async (int id, TeamInput input, HelpDeskDb db) =>
{
    // Attached without loading (a detached update): EF Core cannot know the old values, and the event says so.
    if (!await db.Teams.AnyAsync(t => t.Id == id))
    {
        return Results.NotFound();
    }

    var team = new Team { Id = id, Name = input.Name ?? "", Description = input.Description };
    db.Teams.Update(team);
    await db.SaveChangesAsync();
    return Results.Ok(team);
});
api.MapDelete("/teams/{id:int}", async (int id, HelpDeskDb db) => await DeleteAsync(db, db.Teams, id));

api.MapPost("/automation-rules", async (RuleInput input, HelpDeskDb db) =>
{
    if (Invalid(input.Name) is { } problem)
    {
        return problem;
    }

    var rule = new AutomationRule { Name = input.Name!, Trigger = input.Trigger ?? "conversation_created", Enabled = input.Enabled ?? true };
    db.AutomationRules.Add(rule);
    await db.SaveChangesAsync();
    return Results.Created($"/automation-rules/{rule.Id}", rule);
});
api.MapPut("/automation-rules/{id:int}", async (int id, RuleInput input, HelpDeskDb db) =>
{
    var rule = await db.AutomationRules.FindAsync(id);
    if (rule is null)
    {
        return Results.NotFound();
    }

    rule.Name = input.Name ?? rule.Name;
    rule.Trigger = input.Trigger ?? rule.Trigger;
    rule.Enabled = input.Enabled ?? rule.Enabled;
    await db.SaveChangesAsync();
    return Results.Ok(rule);
});
api.MapDelete("/automation-rules/{id:int}", async (int id, HelpDeskDb db) => await DeleteAsync(db, db.AutomationRules, id));

// One statement changes many rows: recorded as one automation_rule.bulk_update event with the affected count.
api.MapPost("/automation-rules/disable-all", async (HelpDeskDb db) =>
    Results.Ok(new { disabled = await db.AutomationRules.Where(r => r.Enabled).ExecuteUpdateAsync(s => s.SetProperty(r => r.Enabled, false)) }));

api.MapPost("/inboxes/{id:int}/webhooks", async (int id, WebhookInput input, HelpDeskDb db) =>
{
    if (!await db.Inboxes.AnyAsync(i => i.Id == id))
    {
        return Results.NotFound();
    }

    if (!Uri.TryCreate(input.Url, UriKind.Absolute, out _) || string.IsNullOrEmpty(input.Secret))
    {
        return Results.ValidationProblem(new Dictionary<string, string[]> { ["url"] = ["an absolute URL and a secret are required"] });
    }

    var webhook = new InboxWebhook { InboxId = id, Url = input.Url!, Secret = input.Secret! };
    db.Webhooks.Add(webhook);
    await db.SaveChangesAsync();
    return Results.Created($"/webhooks/{webhook.Id}", new { webhook.Id, webhook.InboxId, webhook.Url });
});
api.MapDelete("/webhooks/{id:int}", async (int id, HelpDeskDb db) => await DeleteAsync(db, db.Webhooks, id));

api.MapPost("/inboxes/{id:int}/collaborators", async (int id, CollaboratorInput input, HelpDeskDb db) =>
{
    if (!await db.Inboxes.AnyAsync(i => i.Id == id))
    {
        return Results.NotFound();
    }

    if (Invalid(input.Email, "email") is { } problem)
    {
        return problem;
    }

    var collaborator = new InboxCollaborator { InboxId = id, Email = input.Email! };
    db.Collaborators.Add(collaborator);
    await db.SaveChangesAsync();
    return Results.Created($"/collaborators/{collaborator.Id}", collaborator);
});
api.MapDelete("/collaborators/{id:int}", async (int id, HelpDeskDb db) => await DeleteAsync(db, db.Collaborators, id));

// Not a change to the database: recorded by the endpoint filter, as a failure when the inbox does not exist.
api.MapPost("/inboxes/{id:int}/export", async (int id, HelpDeskDb db) =>
        await db.Inboxes.AnyAsync(i => i.Id == id) ? Results.Ok(new { exported = id }) : Results.NotFound())
    .RecordsAudit("inbox.export", targetType: "inbox", targetRouteValue: "id");

app.Run();

static IResult? Invalid(string? value, string field = "name") =>
    string.IsNullOrWhiteSpace(value) ? Results.ValidationProblem(new Dictionary<string, string[]> { [field] = [$"{field} is required"] }) : null;

static async Task<IResult> DeleteAsync<T>(HelpDeskDb db, DbSet<T> set, int id)
    where T : class
{
    var entity = await set.FindAsync(id);
    if (entity is null)
    {
        return Results.NotFound();
    }

    set.Remove(entity);
    await db.SaveChangesAsync();
    return Results.NoContent();
}

internal sealed record InboxInput(string? Name, string? Channel, string? Greeting);

internal sealed record TeamInput(string? Name, string? Description);

internal sealed record RuleInput(string? Name, string? Trigger, bool? Enabled);

internal sealed record WebhookInput(string? Url, string? Secret);

internal sealed record CollaboratorInput(string? Email);
