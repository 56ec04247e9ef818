using System.Text;
using System.Text.Json;
using Witness.Catalog;
using Witness.Events;
using Witness.Integrity;

namespace Witness.Tests.Events;

public sealed class PersonalPathsTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private const string Json = """
        {"action":"order.refund","actor":{"id":"u_1","name":"Ada","email":"ada@example.com"},
         "targets":[{"type":"customer","id":"c_1","name":"Carl Customer"},{"type":"order","id":"o_9"}],
         "changes":{"before":{"email":"old@example.com","role":"Agent"},"after":{"email":"new@example.com","role":"Agent"}},
         "metadata":{"customer":{"email":"carl@example.com","phones":["+49 1","+49 2"],"tier":"gold"},"amount":12,"note":"kept"}}
        """;

    private static (byte[] Body, byte[] Record, byte[] Hash) Seal(params string[] paths)
    {
        var e = new EventParser(new FixedClock(Now)).ParseRequest(Encoding.UTF8.GetBytes(Json), "acme").Single().Event;
        var parts = CanonicalParts.Of(e);
        parts.Seal(PersonalPaths.Of(paths));
        var body = parts.Complete(1, Now, out var hash);
        return (body, parts.Personal!, hash);
    }

    [Fact]
    public void Strings_at_or_under_marked_paths_enter_the_leaf_as_commitments_and_the_record_carries_the_paths()
    {
        var (body, record, hash) = Seal("targets[].name", "metadata.customer.email", "metadata.customer.phones", "changes.before.email", "changes.after");
        var leaf = Encoding.UTF8.GetString(PersonalValues.Leaf(body, record));

        foreach (var value in new[] { "Carl Customer", "carl@example.com", "+49 1", "+49 2", "old@example.com", "new@example.com", "ada@example.com" })
        {
            Assert.Contains(value, Encoding.UTF8.GetString(body));
            Assert.DoesNotContain(value, leaf);
        }

        Assert.Contains("\"tier\":\"gold\"", leaf);
        Assert.Contains("\"note\":\"kept\"", leaf);
        Assert.Contains("\"before\":{\"email\":{\"sha256\":", leaf);
        Assert.Contains("\"role\":\"Agent\"", leaf); // before.role is not marked
        Assert.Equal(PersonalValues.Salted | PersonalValues.Marked, record[0]);
        Assert.Equal(MerkleHash.Leaf(PersonalValues.Leaf(body, record)), hash);
        Assert.Equal(["targets[].name", "metadata.customer.email", "metadata.customer.phones", "changes.before.email", "changes.after"], PersonalValues.MarkedPaths(record)!.Paths);
    }

    [Fact]
    public void Erasing_replaces_the_marked_values_and_keeps_the_leaf()
    {
        var (body, record, hash) = Seal("targets[].name", "metadata.customer");
        var (erased, committed) = PersonalValues.Erase(body, record);
        var e = CanonicalEvent.Read(erased);

        Assert.Equal(PersonalValues.Erased, e.Targets[0].Name);
        Assert.Equal(PersonalValues.Erased, e.Metadata!.Value.GetProperty("customer").GetProperty("email").GetString());
        Assert.Equal(PersonalValues.Erased, e.Metadata.Value.GetProperty("customer").GetProperty("phones")[1].GetString());
        Assert.Equal(PersonalValues.Erased, e.Metadata.Value.GetProperty("customer").GetProperty("tier").GetString());
        Assert.Equal("kept", e.Metadata.Value.GetProperty("note").GetString());
        Assert.Equal("new@example.com", e.Changes!.After!.Value.GetProperty("email").GetString());
        Assert.True(PersonalValues.IsCommitted(committed));
        Assert.Equal(PersonalValues.Committed | PersonalValues.Marked, committed[0]);
        Assert.Equal(hash, MerkleHash.Leaf(PersonalValues.Leaf(erased, committed)));
        Assert.DoesNotContain("carl@example.com", Encoding.UTF8.GetString(erased));

        var again = PersonalValues.Erase(erased, committed);
        Assert.Equal(erased, again.Body);
        Assert.Equal(committed, again.Record);
    }

    [Fact]
    public void A_record_whose_paths_were_changed_no_longer_gives_the_leaf()
    {
        var (body, record, hash) = Seal("metadata.customer.email");
        var changed = (byte[])record.Clone();
        var at = Encoding.ASCII.GetBytes("metadata.customer.email").Length + 2; // kind, count, length, path…
        changed[at] = (byte)'x'; // "…emaix"
        Assert.True(PersonalValues.TryLeaf(body, record, true, new System.Buffers.ArrayBufferWriter<byte>()));
        Assert.False(PersonalValues.TryLeaf(body, changed, true, new System.Buffers.ArrayBufferWriter<byte>()));
        Assert.Equal(hash, MerkleHash.Leaf(PersonalValues.Leaf(body, record)));
    }

    [Theory]
    [InlineData("targets[].name")]
    [InlineData("metadata")]
    [InlineData("metadata.customer.email")]
    [InlineData("changes.before")]
    [InlineData("changes.after.contact_email-2")]
    public void Paths_of_the_documented_forms_are_accepted(string path) => Assert.Null(PersonalPaths.Check(path));

    [Theory]
    [InlineData("")]
    [InlineData("actor.email")]
    [InlineData("metadata.")]
    [InlineData("metadata.a b")]
    [InlineData("changes")]
    [InlineData("changes.email")]
    [InlineData("targets[0].name")]
    [InlineData("targets[].id")]
    public void Other_paths_are_refused(string path) => Assert.NotNull(PersonalPaths.Check(path));

    [Fact]
    public void A_catalog_entry_names_each_bad_personal_path_by_its_index()
    {
        var definition = new ActionDefinition("order.refund", "Orders", "activity", "update", "Refunded", "Refund")
        {
            Personal = ["metadata.customer.email", "actor.email", "metadata.customer.email"],
        };
        Assert.Equal(["personal[1]", "personal[2]"], definition.Validate().Select(e => e.Field));
    }

    [Fact]
    public void The_catalog_hands_an_entry_s_personal_paths_to_the_intake()
    {
        var catalog = ActionCatalog.CreateWithBuiltInActions();
        catalog.Set("acme", new ActionDefinition("order.refund", "Orders", "activity", "update", "Refunded", "Refund") { Personal = ["targets[].name"] });
        Assert.Equal(["targets[].name"], catalog.FindPersonalPaths("acme", "order.refund")!.Paths);
        Assert.Null(catalog.FindPersonalPaths("other", "order.refund"));
        Assert.Null(catalog.FindPersonalPaths("acme", "inbox.create"));
    }
}
