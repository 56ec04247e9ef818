using System.Text;
using Witness.Catalog;
using Witness.Events;
using Witness.Integrity;

namespace Witness.Tests.Events;

/// <summary>
/// Erasure by email of the values at catalog-marked paths of another actor's event, and rendered descriptions sealed
/// as personal values (docs/erasure.md).
/// </summary>
public sealed class MarkedEmailsTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private const string Json = """
        {"action":"order.refund","actor":{"id":"u_bob","name":"Bob Agent","email":"bob@example.com"},
         "targets":[{"type":"customer","id":"c_1","name":"Ada Lovelace"}],
         "metadata":{"customer":{"email":"Ada Lovelace <ADA@example.com>","tier":"gold"},"note":"ada@example.com"},
         "description":"Refunded the order of Ada Lovelace <ADA@example.com> for Bob Agent"}
        """;

    private static (byte[] Body, byte[] Record, byte[] Hash, string[]? Emails) Seal(PersonalPaths paths)
    {
        var e = new EventParser(new FixedClock(Now)).ParseRequest(Encoding.UTF8.GetBytes(Json), "acme").Single().Event;
        var parts = CanonicalParts.Of(e);
        parts.Seal(paths);
        var body = parts.Complete(1, Now, out var hash);
        return (body, parts.Personal!, hash, parts.MarkedEmails);
    }

    [Fact]
    public void Erasing_by_email_takes_only_the_marked_values_holding_it_and_their_copies_in_the_description_and_keeps_the_leaf()
    {
        var (body, record, hash, emails) = Seal(PersonalPaths.WithDescription(PersonalPaths.Of(["targets[].name", "metadata.customer.email"])));
        Assert.Equal(["ada@example.com"], emails!);
        Assert.DoesNotContain("Refunded the order", Encoding.UTF8.GetString(PersonalValues.Leaf(body, record)), StringComparison.Ordinal);

        var (erased, partly) = PersonalValues.EraseEmails(body, record, new HashSet<string> { "ada@example.com" })!.Value;

        var e = CanonicalEvent.Read(erased);
        Assert.Equal(PersonalValues.Erased, e.Metadata!.Value.GetProperty("customer").GetProperty("email").GetString());
        Assert.Equal("Ada Lovelace", e.Targets[0].Name); // marked, but holds no address
        Assert.Equal("ada@example.com", e.Metadata.Value.GetProperty("note").GetString()); // not marked
        Assert.Equal("bob@example.com", e.Actor.Email);
        Assert.Equal("Refunded the order of [erased] for Bob Agent", e.Description);
        Assert.Equal(PersonalValues.Partly | PersonalValues.Marked, partly[0]);
        Assert.Equal(hash, MerkleHash.Leaf(PersonalValues.Leaf(erased, partly)));
        Assert.Null(PersonalValues.MarkedEmails(erased, partly));
        Assert.Null(PersonalValues.EraseEmails(erased, partly, new HashSet<string> { "ada@example.com" }));

        // Erasing bob afterwards takes the rest, the description's copy of his name too.
        var (all, committed) = PersonalValues.Erase(erased, partly);
        var everything = CanonicalEvent.Read(all);
        Assert.Equal(PersonalValues.Erased, everything.Actor.Email);
        Assert.Equal(PersonalValues.Erased, everything.Targets[0].Name);
        Assert.Equal("Refunded the order of [erased] for [erased]", everything.Description);
        Assert.True(PersonalValues.IsCommitted(committed));
        Assert.Equal(hash, MerkleHash.Leaf(PersonalValues.Leaf(all, committed)));
    }

    [Fact]
    public void A_changed_description_of_a_sealed_event_no_longer_gives_its_leaf()
    {
        var (body, record, hash, _) = Seal(PersonalPaths.WithDescription(null));
        var changed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body).Replace("Refunded the order", "Refunded no order", StringComparison.Ordinal));

        Assert.Equal(hash, MerkleHash.Leaf(PersonalValues.Leaf(body, record)));
        Assert.NotEqual(hash, MerkleHash.Leaf(PersonalValues.Leaf(changed, record)));
        Assert.Equal([PersonalPaths.Description], PersonalValues.MarkedPaths(record)!.Paths);
    }

    [Theory]
    [InlineData("ada@example.com", "ada@example.com")]
    [InlineData("Ada Lovelace <ADA@Example.com>", "ada@example.com")]
    [InlineData("mailto:ada@example.com.", "ada@example.com")]
    [InlineData("write to ada@example.com, or bob@example.org", "ada@example.com bob@example.org")]
    [InlineData("no address @ all", "")]
    [InlineData("ada@", "")]
    public void Addresses_count_wherever_they_stand_in_a_marked_value(string value, string expected)
    {
        var found = new HashSet<string>();
        EmailTokens.Add(value, found);
        Assert.Equal(expected.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(), found.Order());
    }

    [Theory]
    [InlineData("actor.email", null, true)]
    [InlineData("context.ip", null, true)]
    [InlineData("actor.id", null, false)]
    [InlineData("target.name", null, false)]
    [InlineData("target.name", "targets[].name", true)]
    [InlineData("targets[2].name", "targets[].name", true)]
    [InlineData("metadata.customer.email", "metadata.customer", true)]
    [InlineData("metadata.customer", "metadata.customer.email", true)]
    [InlineData("metadata.customers", "metadata.customer", false)]
    [InlineData("changes.after.email", "changes.before.email", false)]
    public void A_placeholder_reads_a_personal_value_when_it_is_built_in_or_overlaps_a_marked_path(string placeholder, string? marked, bool expected) =>
        Assert.Equal(expected, PersonalPaths.ReadsPersonal(placeholder, marked is null ? null : PersonalPaths.Of([marked])));

    [Fact]
    public void The_catalog_seals_a_description_it_rendered_only_when_the_template_reads_a_personal_value()
    {
        var catalog = ActionCatalog.CreateWithBuiltInActions();
        catalog.Set("acme", new ActionDefinition("order.refund", "Orders", "activity", "update", "Refunded {{metadata.customer.email}}", "Refund") { Personal = ["metadata.customer.email"] });
        catalog.Set("acme", new ActionDefinition("order.create", "Orders", "activity", "create", "Ordered {{target.id}}", "Order"));
        catalog.Set("acme", new ActionDefinition("user.login_failed", "Auth", "access", "read", "Failed login attempt as {{actor.email}}", "Login"));

        Assert.Equal(["metadata.customer.email", PersonalPaths.Description], catalog.FindPersonalPaths("acme", "order.refund", rendered: true)!.Paths);
        Assert.Equal(["metadata.customer.email"], catalog.FindPersonalPaths("acme", "order.refund", rendered: false)!.Paths);
        Assert.Null(catalog.FindPersonalPaths("acme", "order.create", rendered: true));
        Assert.Equal([PersonalPaths.Description], catalog.FindPersonalPaths("acme", "user.login_failed", rendered: true)!.Paths);
        Assert.NotNull(PersonalPaths.Check(PersonalPaths.Description)); // never a catalog entry's path
    }
}
