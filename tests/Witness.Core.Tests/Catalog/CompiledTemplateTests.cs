using Witness.Catalog;
using Witness.Events;
using Xunit;
using static Witness.Tests.Catalog.CatalogSamples;

namespace Witness.Tests.Catalog;

public sealed class CompiledTemplateTests
{
    [Fact]
    public void A_target_id_renders_into_the_sentence()
    {
        var template = CompiledTemplate.Compile("Created a new inbox (#{{target.id}})");
        var e = Event() with { Targets = [Target("inbox", "24725", "Support")] };

        Assert.Equal("Created a new inbox (#24725)", template.Render(e));
        Assert.Empty(template.MissingPlaceholders(e));
    }

    [Fact]
    public void A_missing_target_renders_as_a_question_mark()
    {
        var template = CompiledTemplate.Compile("Created a new inbox (#{{target.id}})");

        Assert.Equal("Created a new inbox (#?)", template.Render(Event()));
        Assert.Equal(["target.id"], template.MissingPlaceholders(Event()));
    }

    [Fact]
    public void Missing_metadata_changes_context_and_actor_fields_render_as_question_marks()
    {
        var template = CompiledTemplate.Compile("{{actor.email}} set {{metadata.tag}} to {{changes.after.role}} from {{context.ip}} in {{targets[1].name}}");

        Assert.Equal("? set ? to ? from ? in ?", template.Render(Event()));
        Assert.Equal(5, template.MissingPlaceholders(Event()).Count);
    }

    [Fact]
    public void Blank_and_null_values_render_as_question_marks_never_as_an_empty_gap()
    {
        var template = CompiledTemplate.Compile("Added tag {{metadata.tag}} to {{metadata.document}}");
        var e = Event() with { Metadata = Json("""{"tag":"  ","document":null}""") };

        Assert.Equal("Added tag ? to ?", template.Render(e));
    }

    [Fact]
    public void Actor_target_context_and_event_fields_render()
    {
        var template = CompiledTemplate.Compile(
            "{{actor.name}} <{{actor.email}}> #{{actor.id}} as {{actor.role}} ({{actor.type}}) on {{target.type}} {{target.name}} " +
            "via {{context.brand}} {{context.source}} from {{context.ip}} in {{context.location.city}}, {{context.location.country}}: " +
            "{{action}} {{outcome}} because {{reason}}");
        var e = Event("inbox.update") with
        {
            Actor = Ada,
            Targets = [Target("inbox", "1", "Support")],
            Context = new EventContext { Ip = "203.0.113.7", Brand = "Acme", Source = "form", Location = new EventLocation { Country = "IT", City = "Milan" } },
            Outcome = Outcomes.Failure,
            Reason = "quota",
        };

        Assert.Equal(
            "Ada Admin <ada@example.com> #u_17 as Administrator (user) on inbox Support via Acme form from 203.0.113.7 in Milan, IT: inbox.update failure because quota",
            template.Render(e));
    }

    [Fact]
    public void Targets_are_indexed_from_zero_and_target_is_the_first()
    {
        var template = CompiledTemplate.Compile("{{target.name}} and {{targets[0].name}} then {{targets[1].name}}");
        var e = Event() with { Targets = [Target("inbox", "1", "Support"), Target("user", "2", "Grace")] };

        Assert.Equal("Support and Support then Grace", template.Render(e));
    }

    [Fact]
    public void Nested_metadata_arrays_numbers_and_booleans_render_as_text()
    {
        var template = CompiledTemplate.Compile("{{metadata.integration.name}} {{metadata.count}} {{metadata.ok}} [{{metadata.tags}}] {{metadata.items[1].id}} {{changes.before.limits.max}}");
        var e = Event() with
        {
            Metadata = Json("""{"integration":{"name":"Slack"},"count":42,"ok":false,"tags":["billing","vip"],"items":[{"id":"a"},{"id":"b"}]}"""),
            Changes = new EventChanges { Before = Json("""{"limits":{"max":1.5}}""") },
        };

        Assert.Equal("Slack 42 false [billing, vip] b 1.5", template.Render(e));
    }

    [Fact]
    public void Spaces_inside_the_braces_are_ignored()
    {
        var template = CompiledTemplate.Compile("Deleted {{ target.name }}");

        Assert.Equal(["target.name"], template.Placeholders);
        Assert.Equal("Deleted Support", template.Render(Event() with { Targets = [Target("inbox", "1", "Support")] }));
    }

    [Fact]
    public void Placeholders_are_listed_once_in_order_of_first_use()
    {
        var template = CompiledTemplate.Compile("{{metadata.email}} got {{changes.after.role}}, {{metadata.email}} was {{changes.before.role}}");

        Assert.Equal(["metadata.email", "changes.after.role", "changes.before.role"], template.Placeholders);
    }

    [Fact]
    public void A_template_without_placeholders_renders_as_written()
    {
        var template = CompiledTemplate.Compile("Logged in {with} braces");

        Assert.Empty(template.Placeholders);
        Assert.Equal("Logged in {with} braces", template.Render(Event()));
    }

    [Fact]
    public void A_placeholder_on_a_target_with_a_url_becomes_a_linked_segment()
    {
        var template = CompiledTemplate.Compile("Added tag {{metadata.tag}} to {{target.name}}");
        var e = Event("document.tag.add") with
        {
            Targets = [Target("document", "d_1", "Pricing.pdf", "https://app.example.com/documents/d_1")],
            Metadata = Json("""{"tag":"billing"}"""),
        };

        var segments = template.RenderSegments(e);

        Assert.Equal(
            [
                new TemplateSegment("Added tag "),
                new TemplateSegment("billing", null, "metadata.tag"),
                new TemplateSegment(" to "),
                new TemplateSegment("Pricing.pdf", "https://app.example.com/documents/d_1", "target.name"),
            ],
            segments);
        Assert.Equal(template.Render(e), string.Concat(segments.Select(s => s.Text)));
    }

    [Fact]
    public void An_indexed_target_links_to_its_own_url_and_a_target_without_url_is_not_linked()
    {
        var template = CompiledTemplate.Compile("{{target.id}} to {{targets[1].name}}");
        var e = Event() with { Targets = [Target("conversation", "7"), Target("user", "u_2", "Grace", "https://app.example.com/users/u_2")] };

        var segments = template.RenderSegments(e);

        Assert.Null(segments[0].LinkUrl);
        Assert.Equal("https://app.example.com/users/u_2", segments[2].LinkUrl);
    }

    [Fact]
    public void A_missing_value_is_a_question_mark_segment_without_link()
    {
        var template = CompiledTemplate.Compile("Renamed {{target.name}}");
        var e = Event() with { Targets = [Target("inbox", "1", null, "https://app.example.com/inboxes/1")] };

        var segments = template.RenderSegments(e);

        Assert.Equal(new TemplateSegment("?", null, "target.name"), segments[1]);
    }

    [Fact]
    public void Segments_keep_markup_in_values_as_text_for_the_console_to_escape()
    {
        var template = CompiledTemplate.Compile("Created {{target.name}}");
        var e = Event() with { Targets = [Target("inbox", "1", "<script>alert(1)</script>")] };

        Assert.Equal("<script>alert(1)</script>", template.RenderSegments(e)[1].Text);
    }

    [Fact]
    public void A_value_with_line_breaks_renders_on_one_line()
    {
        var template = CompiledTemplate.Compile("Note: {{metadata.note}}");
        var e = Event() with { Metadata = Json("""{"note":"first\nsecond"}""") };

        Assert.Equal("Note: first second", template.Render(e));
    }

    [Fact]
    public void Long_values_are_shortened_and_the_sentence_stays_within_the_description_limit()
    {
        var template = CompiledTemplate.Compile(string.Concat(Enumerable.Repeat("{{metadata.long}} ", 20)));
        var e = Event() with { Metadata = Json($$"""{"long":"{{new string('x', 5000)}}"}""") };

        var text = template.Render(e);
        var segments = template.RenderSegments(e);

        Assert.Equal(CompiledTemplate.MaxRenderedLength, text.Length);
        Assert.EndsWith("…", text, StringComparison.Ordinal);
        Assert.Equal(EventLimits.MaxShortText, segments[0].Text.Length);
        Assert.Equal(text, string.Concat(segments.Select(s => s.Text)));
    }

    [Theory]
    [InlineData("Created a new inbox (#{{target.id")]
    [InlineData("Created {{target.id} here")]
    [InlineData("{{foo.bar}}")]
    [InlineData("{{}}")]
    [InlineData("{{ }}")]
    [InlineData("{{actor.phone}}")]
    [InlineData("{{actor}}")]
    [InlineData("{{target.email}}")]
    [InlineData("{{targets.name}}")]
    [InlineData("{{targets[100].name}}")]
    [InlineData("{{actor[1].name}}")]
    [InlineData("{{metadata}}")]
    [InlineData("{{metadata..x}}")]
    [InlineData("{{metadata.a b}}")]
    [InlineData("{{changes.after}}")]
    [InlineData("{{changes.during.role}}")]
    [InlineData("{{context.password}}")]
    [InlineData("{{action.name}}")]
    [InlineData("a stray }} closes nothing")]
    [InlineData("{{ {{target.id}} }}")]
    [InlineData("")]
    [InlineData("   ")]
    public void Invalid_templates_are_rejected(string template)
    {
        Assert.Throws<TemplateException>(() => CompiledTemplate.Compile(template));
    }

    [Fact]
    public void An_unknown_root_is_rejected_with_its_position_and_placeholder()
    {
        var ex = Assert.Throws<TemplateException>(() => CompiledTemplate.Compile("Changed {{foo.bar}}"));

        Assert.Equal(8, ex.Position);
        Assert.Equal("foo.bar", ex.Placeholder);
        Assert.Contains("{{foo.bar}}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("unknown root 'foo'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_field_of_a_text_value_is_rejected_with_the_right_spelling()
    {
        var ex = Assert.Throws<TemplateException>(() => CompiledTemplate.Compile("Did {{action.name}}"));

        Assert.Contains("write {{action}}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unclosed_placeholder_is_rejected_with_its_position()
    {
        var ex = Assert.Throws<TemplateException>(() => CompiledTemplate.Compile("Created a new inbox (#{{target.id)"));

        Assert.Equal(22, ex.Position);
        Assert.Contains("not closed", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_template_longer_than_the_limit_is_rejected()
    {
        Assert.Throws<TemplateException>(() => CompiledTemplate.Compile(new string('a', CompiledTemplate.MaxTemplateLength + 1)));
    }
}
