using System.Text;
using Witness.Catalog;
using Witness.Events;
using Witness.Integrity;
using Witness.Storage;

namespace Witness.Tests.Events;

/// <summary>
/// An event kept as its leaf, a shape and a values record beside it (<see cref="PersonalSplit"/>): the body and
/// personal record come back byte for byte, an erasure only changes the values record, and the leaf never changes.
/// </summary>
public sealed class PersonalSplitTests
{
    private static readonly DateTimeOffset Now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private const string Plain = """
        {"action":"user.login","actor":{"id":"u_ada","name":"Ada Lovelace","email":"Ada@Example.com"},
         "context":{"ip":"203.0.113.7","user_agent":"Mozilla/5.0","location":{"country":"GB","city":"London"}},
         "targets":[{"type":"user","id":"u_ada","name":"Ada"}],"description":"Signed in"}
        """;

    private const string Marked = """
        {"action":"order.refund","actor":{"id":"u_bob","name":"Bob Agent","email":"bob@example.com"},
         "targets":[{"type":"customer","id":"c_1","name":"Ada Lovelace"}],
         "metadata":{"customer":{"email":"Ada Lovelace <ADA@example.com>","tier":"gold"},"note":"ada@example.com"},
         "description":"Refunded the order of Ada Lovelace <ADA@example.com> for Bob Agent"}
        """;

    private sealed record Sealed(byte[] Body, byte[] Record, byte[] Masked, byte[] Hash, SplitEvent Split);

    private static Sealed Seal(string json, PersonalPaths? paths = null)
    {
        var e = new EventParser(new FixedClock(Now)).ParseRequest(Encoding.UTF8.GetBytes(json), "acme").Single().Event;
        var parts = CanonicalParts.Of(e);
        parts.Seal(paths);
        var body = parts.Complete(12345, Now, out var hash, out var masked);
        return new Sealed(body, parts.Personal!, masked!, hash, parts.Split!);
    }

    private static PersonalPaths MarkedPaths() => PersonalPaths.WithDescription(PersonalPaths.Of(["targets[].name", "metadata.customer.email"]));

    [Fact]
    public void The_body_and_record_come_back_from_the_leaf_shape_and_values_and_the_shape_holds_no_value()
    {
        foreach (var s in new[] { Seal(Plain), Seal(Marked, MarkedPaths()) })
        {
            Assert.Equal(s.Hash, MerkleHash.Leaf(PersonalValues.Leaf(s.Body, s.Record)));
            Assert.Equal(PersonalSplit.Mask(s.Body, s.Record), s.Masked);
            Assert.True(PersonalSplit.IsShape(s.Split.Shape));
            Assert.False(PersonalSplit.IsShape(s.Record));

            var (body, record) = PersonalSplit.Join(s.Masked, s.Split.Shape, s.Split.Values);

            Assert.Equal(s.Body, body);
            Assert.Equal(s.Record, record);
            var again = PersonalSplit.Split(s.Body, s.Record);
            Assert.Equal(s.Split.Shape, again.Shape); // the seal's own writing, from before seq and received_at were spliced
            Assert.Equal(s.Split.Values, again.Values);
            var shape = Encoding.UTF8.GetString(s.Split.Shape);
            Assert.DoesNotContain("lovelace", shape, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("example.com", shape, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("203.0.113.7", Encoding.UTF8.GetString(s.Masked), StringComparison.Ordinal);
            Assert.DoesNotContain("sha256", Encoding.UTF8.GetString(s.Masked), StringComparison.Ordinal); // the commitments are in the shape, raw
        }
    }

    [Fact]
    public void The_public_and_personal_texts_hold_the_lines_of_the_search_text_and_the_public_one_no_personal_value()
    {
        var plain = Seal(Plain);
        Assert.Equal("signed in\nuser.login\nu_ada\nada\nu_ada\n", plain.Split.PublicText);
        Assert.Equal("ada lovelace\nada@example.com\n203.0.113.7\ngb\nlondon\n", plain.Split.PersonalText);
        Assert.Equal("ada@example.com", plain.Split.ActorEmail);
        Assert.Equal(EventIndexKeys.From(CanonicalEvent.Read(plain.Body)).Ip, plain.Split.Ip);

        foreach (var s in new[] { plain, Seal(Marked, MarkedPaths()) })
        {
            var all = EventIndexKeys.From(CanonicalEvent.Read(s.Body)).SearchText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal);
            var split = (s.Split.PublicText + s.Split.PersonalText).Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
            Assert.Subset(split.ToHashSet(), all.ToHashSet());
            Assert.DoesNotContain("ada", s.Split.PublicText.Replace("u_ada", "", StringComparison.Ordinal).Replace("\nada\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        }

        var marked = Seal(Marked, MarkedPaths());
        Assert.Equal("refunded the order of [erased] for [erased]\norder.refund\nu_bob\nc_1\n", marked.Split.PublicText);
        Assert.Contains("refunded the order of ada lovelace <ada@example.com> for bob agent\n", marked.Split.PersonalText, StringComparison.Ordinal);
        Assert.Contains("ada lovelace\n", marked.Split.PersonalText, StringComparison.Ordinal);
    }

    [Fact]
    public void A_full_erasure_leaves_no_values_record_and_joins_to_what_the_row_erasure_writes()
    {
        var s = Seal(Plain);

        var erased = PersonalSplit.Erase(s.Masked, s.Split.Shape, s.Split.Values, null)!;

        Assert.Null(erased.Values);
        Assert.Equal("", erased.PersonalText);
        Assert.Null(erased.ActorEmail);
        Assert.Null(erased.Ip);
        var (body, record) = PersonalSplit.Join(s.Masked, s.Split.Shape, erased.Values);
        var (expectedBody, expectedRecord) = PersonalValues.Erase(s.Body, s.Record);
        Assert.Equal(expectedBody, body);
        Assert.Equal(expectedRecord, record);
        Assert.Equal(s.Hash, MerkleHash.Leaf(PersonalValues.Leaf(body, record)));
        Assert.Null(PersonalSplit.Erase(s.Masked, s.Split.Shape, erased.Values, null));
    }

    [Fact]
    public void An_erasure_by_email_rewrites_only_the_marked_values_and_a_later_full_one_keeps_the_redacted_description()
    {
        var s = Seal(Marked, MarkedPaths());
        var ada = new HashSet<string> { "ada@example.com" };

        var partly = PersonalSplit.Erase(s.Masked, s.Split.Shape, s.Split.Values, ada)!;

        Assert.Equal(["ada@example.com"], partly.MarkedEmailsBefore!);
        Assert.Null(partly.MarkedEmails);
        Assert.Equal("bob@example.com", partly.ActorEmail);
        Assert.DoesNotContain("ada@example.com", partly.PersonalText, StringComparison.Ordinal);
        Assert.Contains("bob agent\n", partly.PersonalText, StringComparison.Ordinal);
        var (body, record) = PersonalSplit.Join(s.Masked, s.Split.Shape, partly.Values);
        var expected = PersonalValues.EraseEmails(s.Body, s.Record, ada)!.Value;
        Assert.Equal(expected.Body, body);
        Assert.Equal(expected.Record, record);
        Assert.Equal(PersonalValues.Partly | PersonalValues.Marked, record[0]);
        Assert.Null(PersonalSplit.Erase(s.Masked, s.Split.Shape, partly.Values, ada));

        var all = PersonalSplit.Erase(s.Masked, s.Split.Shape, partly.Values, null)!;

        Assert.NotNull(all.Values); // the description's redacted text stays beside the row
        Assert.DoesNotContain("Bob", Encoding.UTF8.GetString(all.Values!), StringComparison.Ordinal);
        var (allBody, allRecord) = PersonalSplit.Join(s.Masked, s.Split.Shape, all.Values);
        var everything = PersonalValues.Erase(body, record);
        Assert.Equal(everything.Body, allBody);
        Assert.Equal(everything.Record, allRecord);
        Assert.Equal("Refunded the order of [erased] for [erased]", CanonicalEvent.Read(allBody).Description);
        Assert.Equal(s.Hash, MerkleHash.Leaf(PersonalValues.Leaf(allBody, allRecord)));
        Assert.Equal(s.Split.PublicText, PersonalSplit.Keys(allBody, allRecord).PublicText);
    }

    [Fact]
    public void A_changed_value_beside_the_row_no_longer_gives_the_leaf_and_a_broken_shape_or_record_is_refused()
    {
        var s = Seal(Plain);
        var changed = s.Split.Values!.ToArray();
        var at = changed.AsSpan().IndexOf("London"u8);
        "Boston"u8.CopyTo(changed.AsSpan(at));

        var (body, record) = PersonalSplit.Join(s.Masked, s.Split.Shape, changed);

        Assert.Equal("Boston", CanonicalEvent.Read(body).Context!.Location!.City);
        Assert.NotEqual(PersonalValues.Leaf(s.Body, s.Record), PersonalValues.Leaf(body, record));
        Assert.Throws<InvalidDataException>(() => PersonalSplit.Join(s.Masked, s.Split.Shape[..^1], s.Split.Values));
        Assert.Throws<InvalidDataException>(() => PersonalSplit.Join(s.Masked, s.Split.Shape, s.Split.Values![..^3]));
        Assert.Throws<InvalidDataException>(() => PersonalSplit.Join(s.Masked[..^100], s.Split.Shape, s.Split.Values));
    }

    [Fact]
    public void The_keys_from_a_joined_event_are_those_the_split_gave()
    {
        foreach (var s in new[] { Seal(Plain), Seal(Marked, MarkedPaths()) })
        {
            var keys = PersonalSplit.Keys(s.Body, s.Record);

            Assert.Equal(s.Split.PublicText, keys.PublicText);
            Assert.Equal(s.Split.PersonalText, keys.PersonalText);
            Assert.Equal(s.Split.ActorEmail, keys.ActorEmail);
            Assert.Equal(s.Split.Ip, keys.Ip);
        }
    }

    [Fact]
    public void Verification_accepts_a_split_rows_two_texts_and_names_either_when_changed()
    {
        foreach (var s in new[] { Seal(Plain), Seal(Marked, MarkedPaths()) })
        {
            string? Problem(string publicText, string personalText)
            {
                var keys = EventIndexKeys.From(CanonicalEvent.Read(s.Body)) with { SearchText = publicText };
                var block = new LogRowBlock(1);
                block.Add(new StoredRow(12345, CanonicalEvent.Read(s.Body).Id, s.Body, s.Hash, keys) { Personal = s.Record, PersonalText = personalText });
                return new Witness.Verification.RowChecks("acme").Check(block, 0, new byte[MerkleHash.Size]).Problem;
            }

            Assert.Null(Problem(s.Split.PublicText, s.Split.PersonalText));
            Assert.Equal("event 12345's 'search_text' column differs from its body", Problem(s.Split.PublicText + "x\n", s.Split.PersonalText));
            Assert.Equal("event 12345's personal 'search_text' (kept beside the row) differs from its body", Problem(s.Split.PublicText, ""));
            Assert.Equal("event 12345's 'search_text' column differs from its body", Problem(s.Split.PublicText + s.Split.PersonalText, ""));
        }
    }
}
