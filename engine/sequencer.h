#pragma once
// The sequencer: the one thread that owns the booking state. It drains the producers'
// command rings round-robin (at most drain_slots_max slots from each per round, so no
// producer starves another and each producer's order is kept), decides and applies every
// command, appends the records to the batch being filled, publishes the batch to the sink
// when it is full, when the rings run dry or when its oldest record has waited
// flush_delay_us, and sends each producer its replies once the sink says the batch holding
// them is durable.
//
// Thread and lifecycle: constructed on the owner's thread with the state recovered; start()
// launches the sequencer thread; producer threads use producer_at(i) (one thread each);
// stop() is called once every producer has finished submitting: it drains what is left,
// waits for durability, hands out the last replies and joins. After a sink error the
// thread stops acknowledging at once; failure() says why.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "engine/batch_sink.h"
#include "engine/booking_state.h"
#include "engine/command.h"
#include "engine/event_buffer.h"
#include "engine/schema/outcome.h"
#include "engine/process.h"
#include "engine/reply.h"
#include "engine/sequencer_options.h"
#include "engine/snapshotter.h"
#include "base/wait/backoff.h"
#include "base/wait/parker.h"
#include "base/assert.h"
#include "base/clock.h"
#include "base/cpu.h"

namespace ordo::engine {

struct sequencer_stats {
    std::uint64_t commands = 0;
    std::uint64_t outcomes[outcome_count] = {};
    std::uint64_t batches = 0;
    std::uint64_t records = 0;
    std::uint64_t record_bytes = 0;
    std::uint64_t parks = 0;
    std::uint64_t padding_slots = 0;  // ring ends skipped so that commands stay contiguous
    // Time the sequencer spent in the sink per batch: sealing and submitting it, and
    // claiming the next body (which waits while every buffer is in flight). What durable
    // mode costs the sequencer beyond what in-memory mode does.
    std::uint64_t publish_ns = 0;
    std::uint64_t claim_wait_ns = 0;
    // The longest busy round: draining up to drain_slots_max slots of each producer, with
    // the batch it published and the replies it released. A round of commands takes
    // microseconds; anything longer is a pause of some cause (starting a snapshot, page
    // faults, the thread preempted, a long expiry cascade, every batch buffer in flight).
    std::uint64_t round_ns_max = 0;
};

template <template <class> class Ring>
class sequencer {
public:
    // One producer's end of its two rings. Thread: exactly one producer thread.
    class producer {
    public:
        // Waits (spin, then yield) while the ring is full or the in-flight window is
        // used up; replies that arrive meanwhile go to on_reply(reply). Returns false only
        // when the sequencer failed (the command was not taken).
        template <class OnReply>
        bool submit(const command& c, OnReply&& on_reply) noexcept {
            return submit_encoded(
                c.slot_count(), [&](std::span<command_slot> slots) { encode(c, slots); }, on_reply);
        }

        // The same for a caller that lays the command out itself: encode_into(slots) fills
        // `slot_count` contiguous ring slots in place (what encode() would write), and they
        // are published at once. The load generator uses it to skip a copy.
        template <class Encode, class OnReply>
        bool submit_encoded(std::uint32_t slot_count, Encode&& encode_into,
                            OnReply&& on_reply) noexcept {
            ORDO_ASSERT(slot_count >= 1);
            ORDO_ASSERT(slot_count <= command_slots_max);
            command_slot* at = try_claim(slot_count);
            if (at == nullptr) at = claim_waiting(slot_count, on_reply);
            if (at == nullptr) return false;
            encode_into(std::span<command_slot>(at, slot_count));
            ORDO_ASSERT(at->header.slot_count == slot_count);
            commands_.publish(slot_count);
            outstanding_++;
            owner_->parker_.wake_if_parked();
            return true;
        }

        // Hands every reply already arrived to on_reply; returns how many.
        template <class OnReply>
        std::size_t poll_replies(OnReply&& on_reply) noexcept {
            const std::span<const reply> arrived = replies_.peek(reply_peek_max);
            for (const reply r : arrived) on_reply(r);
            replies_.release(arrived.size());
            ORDO_ASSERT(arrived.size() <= outstanding_);
            outstanding_ -= arrived.size();
            return arrived.size();
        }
        // Waits until every submitted command has its reply (false if the sequencer failed).
        template <class OnReply>
        bool drain(OnReply&& on_reply) noexcept {
            base::backoff wait(base::backoff_options{});
            while (outstanding_ > 0) {
                if (poll_replies(on_reply) > 0) {
                    wait.reset();
                    continue;
                }
                if (owner_->failed()) return false;
                wait.idle();
            }
            return true;
        }
        std::uint64_t outstanding() const noexcept { return outstanding_; }

    private:
        friend class sequencer;
        static constexpr std::size_t reply_peek_max = 256;

        producer(sequencer* owner, const sequencer_options& options)
            : owner_(owner),
              commands_(options.command_ring_slots),
              replies_(options.reply_ring_slots),
              reply_capacity_(options.reply_ring_slots) {}

        // Contiguous room for a command now, or nullptr (window used up, ring full, or the
        // command would run past the ring's end).
        command_slot* try_claim(std::uint32_t slot_count) noexcept {
            if (outstanding_ >= reply_capacity_) return nullptr;
            if (slot_count > commands_.slots_to_end()) return nullptr;
            return commands_.try_claim(slot_count);
        }

        // The slow path: pads the ring's end when the command would wrap, and waits for
        // room, taking replies meanwhile. nullptr only when the sequencer failed.
        template <class OnReply>
        command_slot* claim_waiting(std::uint32_t slot_count, OnReply& on_reply) noexcept {
            base::backoff wait(base::backoff_options{});
            for (;;) {
                if (outstanding_ < reply_capacity_) {
                    const std::uint32_t to_end = commands_.slots_to_end();
                    if (slot_count <= to_end) {
                        if (command_slot* at = commands_.try_claim(slot_count)) return at;
                    } else if (command_slot* pad = commands_.try_claim(to_end)) {
                        pad->header = command_header{};
                        pad->header.kind = op_padding;
                        pad->header.slot_count = static_cast<std::uint8_t>(to_end);
                        commands_.publish(to_end);
                        continue;
                    }
                }
                if (owner_->failed()) return nullptr;
                if (poll_replies(on_reply) == 0) wait.idle();
            }
        }

        sequencer* owner_;
        Ring<command_slot> commands_;
        Ring<reply> replies_;
        std::uint64_t outstanding_ = 0;  // producer thread only
        std::uint64_t reply_capacity_;
    };

    // `snapshots` (optional) is offered the state after each published batch.
    sequencer(booking_state& state, batch_sink& sink, const sequencer_options& options,
              snapshotter* snapshots = nullptr)
        : state_(state), sink_(sink), options_(options), snapshots_(snapshots) {
        ORDO_ASSERT(!validate(options).has_value());
        for (std::uint32_t i = 0; i < options.producers; i++) {
            producers_.push_back(std::unique_ptr<producer>(new producer(this, options)));
        }
        replies_written_.assign(options.producers, 0);
        marks_.resize(marks_max);
        mark_positions_.assign(std::size_t{marks_max} * options.producers, 0);
    }
    sequencer(const sequencer&) = delete;
    sequencer& operator=(const sequencer&) = delete;
    ~sequencer() { ORDO_ASSERT(!thread_.joinable()); }

    producer& producer_at(std::uint32_t index) noexcept {
        ORDO_ASSERT(index < producers_.size());
        return *producers_[index];
    }

    void start() {
        ORDO_ASSERT(!thread_.joinable());
        thread_ = std::thread([this] { run(); });
    }
    // Call after every producer stopped submitting. Returns false when the sink failed.
    bool stop() {
        stop_requested_.store(true, std::memory_order_release);
        parker_.wake();
        if (thread_.joinable()) thread_.join();
        return !failed();
    }

    bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
    const std::string& failure() const noexcept { return failure_; }  // after stop()
    const sequencer_stats& stats() const noexcept { return stats_; }  // after stop()

private:
    // A published batch whose replies wait for it to be durable: how far each producer's
    // replies reach at its end (positions in mark_positions_).
    struct batch_mark {
        std::uint64_t batch = 0;
    };
    // Published batches are at most the sink's buffers in flight plus the one sealed last;
    // a full mark ring waits for the oldest batch (it never happens with the journal's 4).
    static constexpr std::uint32_t marks_max = 64;

    void run() noexcept {
        if (options_.pin_cpu >= 0)
            base::pin_current_thread(static_cast<std::uint32_t>(options_.pin_cpu));
        if (!claim_body()) return;
        durable_batches_ = current_batch_;  // everything before this run is durable
        base::backoff wait(base::backoff_options{});
        std::uint64_t idle_since_ns = 0;
        while (!failed()) {
            const std::uint64_t round_start_ns = base::monotonic_ns();
            const std::uint32_t drained = drain_round();
            if (failed()) break;
            if (drained > 0) {
                wait.reset();
                idle_since_ns = 0;
                // The flush delay bounds a record's wait while the disk keeps up; when it
                // is busy with earlier batches, this one keeps filling instead (it cannot
                // become durable before them) so fdatasyncs grow instead of queueing.
                if (buffer_.record_count() > 0 && disk_keeps_up() &&
                    base::monotonic_ns() - first_record_ns_ >= flush_delay_ns()) {
                    if (!publish_body()) break;
                }
                if (!release_durable()) break;
                note_round(round_start_ns);
                continue;
            }
            // The rings ran dry: publish what we have so its producers get answers, unless
            // the disk is busy with earlier batches; then keep filling this one (it cannot
            // become durable before them anyway) until the flush delay says enough.
            if (buffer_.record_count() > 0 && should_publish_when_dry() && !publish_body()) break;
            if (!release_durable()) break;
            note_round(round_start_ns);
            if (marks_count_ > 0) {
                wait.idle();  // batches in flight: keep reaping completions
                continue;
            }
            if (stop_requested_.load(std::memory_order_acquire) && rings_empty()) break;
            const std::uint64_t now_ns = base::monotonic_ns();
            if (idle_since_ns == 0) idle_since_ns = now_ns;
            if (now_ns - idle_since_ns >= std::uint64_t{options_.park_after_us} * 1000) {
                park();
                idle_since_ns = 0;
                wait.reset();
            } else {
                wait.idle();
            }
        }
    }

    void note_round(std::uint64_t start_ns) noexcept {
        const std::uint64_t took_ns = base::monotonic_ns() - start_ns;
        if (took_ns > stats_.round_ns_max) stats_.round_ns_max = took_ns;
    }

    bool disk_keeps_up() const noexcept {
        ORDO_ASSERT(current_batch_ >= durable_batches_);
        return current_batch_ - durable_batches_ < publish_in_flight_max;
    }
    bool should_publish_when_dry() const noexcept {
        if (disk_keeps_up()) return true;
        // Busy disk: wait, but never longer than the flush delay allows (x4: the batches
        // ahead are already that old).
        return base::monotonic_ns() - first_record_ns_ >= 4 * flush_delay_ns();
    }

    // Batches in flight below which a batch is published on a dry ring or after the flush
    // delay (latency); at or above it the batch keeps filling (throughput: fewer, larger
    // fdatasyncs), since it cannot become durable before the ones ahead of it.
    static constexpr std::uint64_t publish_in_flight_max = 2;

    std::uint64_t flush_delay_ns() const noexcept {
        return std::uint64_t{options_.flush_delay_us} * 1000;
    }

    void park() noexcept {
        parker_.prepare_park();
        if (!rings_empty() || stop_requested_.load(std::memory_order_acquire)) {
            parker_.cancel_park();
            return;
        }
        stats_.parks++;
        parker_.park();
    }

    bool rings_empty() const noexcept {
        for (const auto& p : producers_) {
            if (!p->commands_.drained()) return false;
        }
        return true;
    }

    // One fair round over the producers: at most drain_slots_max slots from each, decided
    // where they lie in the ring; returns the slots taken.
    std::uint32_t drain_round() noexcept {
        std::uint32_t drained = 0;
        for (std::uint32_t p = 0; p < producers_.size() && !failed(); p++) {
            Ring<command_slot>& ring = producers_[p]->commands_;
            const std::span<const command_slot> slots = ring.peek(options_.drain_slots_max);
            if (slots.empty()) continue;
            // A peek may stop inside a command only at drain_slots_max (commands are
            // published whole and never run past the ring's end): the rest waits a round.
            const std::uint32_t used = process_slots(p, slots);
            ring.release(used);
            drained += used;
        }
        return drained;
    }

    // Processes the whole commands at the start of `slots`; returns the slots consumed.
    std::uint32_t process_slots(std::uint32_t producer_index,
                                std::span<const command_slot> slots) noexcept {
        const auto available = static_cast<std::uint32_t>(slots.size());
        Ring<reply>& replies = producers_[producer_index]->replies_;
        std::uint64_t& replies_written = replies_written_[producer_index];
        // Rolling prefetch: the reservation line of the command prefetch_distance ahead is
        // requested while this one is decided, so a table far larger than the cache costs
        // its misses in parallel instead of one after another.
        std::uint32_t ahead = 0;
        auto prefetch_next = [&] {
            if (ahead >= available) return;
            // The producer's line holding the command another prefetch_distance ahead: its
            // header is read here in prefetch_distance commands, and a line still in the
            // producer's cache costs a cross-core transfer (measured: 21 wins in 30
            // alternating pairs, ~3%, within this machine's noise).
            if (ahead + prefetch_distance < available) {
                __builtin_prefetch(slots.data() + ahead + prefetch_distance);
            }
            const command_header& h = slots[ahead].header;
            if (h.kind == op::reserve || h.kind == op::confirm || h.kind == op::cancel) {
                state_.prefetch_reservation(h.reservation);
            }
            ahead += h.slot_count;
        };
        for (std::uint32_t i = 0; i < prefetch_distance; i++) prefetch_next();
        std::uint32_t at = 0;
        while (at < available) {
            const command_header& h = slots[at].header;
            // command_view checks a command's slot_count, a padding run's is checked below,
            // and one that reaches past the peek must still be a whole command's (a larger
            // one would stall the ring here for ever).
            if (at + h.slot_count > available) {
                ORDO_ASSERT(h.slot_count <= command_slots_max);
                break;
            }
            if (h.kind == op_padding) {
                ORDO_ASSERT(h.slot_count >= 1);
                stats_.padding_slots += h.slot_count;
                at += h.slot_count;
                continue;
            }
            prefetch_next();
            if (!process_one(replies, replies_written, command_view(slots.data() + at))) break;
            at += h.slot_count;
        }
        return at;
    }

    static constexpr std::uint32_t prefetch_distance = 16;
    // Room for a command's primary record and ~500 expiries it may trigger.
    static constexpr std::uint32_t command_room_bytes = 16 * 1024;

    // Inlined into the drain loop: out of line, its call cost ~30 instructions a command.
    // `replies` and `replies_written`: the command's producer's reply ring and its count of
    // replies claimed (read by push_mark when a batch is sealed).
    [[gnu::always_inline]] bool process_one(Ring<reply>& replies, std::uint64_t& replies_written,
                                            command_view cmd) noexcept {
        // Batches end on command boundaries (unless one command's expiries overflow a whole
        // batch), so a torn tail loses whole commands, never half of one.
        if (buffer_.free_bytes() < command_room_bytes && buffer_.record_count() > 0 &&
            !publish_body()) {
            return false;
        }
        const std::uint64_t command_sequence = state_.commands;
        if (buffer_.record_count() == 0) first_record_ns_ = base::monotonic_ns();
        bool room_ok = true;
        const outcome result = process_command(state_, cmd, buffer_, [&](std::uint32_t bytes) {
            if (buffer_.free_bytes() >= bytes) return;
            room_ok = room_ok && publish_body();
            ORDO_ASSERT(!room_ok || buffer_.free_bytes() >= bytes);
        });
        if (!room_ok) {
            // The sink failed while this command was half written: nothing after the
            // failure is acknowledged, and the process exits.
            return false;
        }
        stats_.commands++;
        stats_.outcomes[static_cast<std::uint32_t>(result)]++;
        // The reply is written now, where the producer will read it, and published with
        // the other replies of its batch once that batch is durable (release_durable).
        replies.claim_at(replies_written++) = reply::make(result, command_sequence);
        return true;
    }

    bool claim_body() noexcept {
        const std::uint64_t start_ns = base::monotonic_ns();
        auto body = sink_.claim();
        stats_.claim_wait_ns += base::monotonic_ns() - start_ns;
        if (!body) return fail(body.error());
        buffer_.reset(*body);
        current_batch_ = sink_.next_batch_number();
        return true;
    }

    bool publish_body() noexcept {
        ORDO_ASSERT(buffer_.record_count() > 0);
        if (marks_count_ == marks_max && !wait_oldest_mark()) return false;
        const std::uint64_t start_ns = base::monotonic_ns();
        auto published = sink_.publish(buffer_.used_bytes(), buffer_.record_count(), state_.now_ms);
        stats_.publish_ns += base::monotonic_ns() - start_ns;
        if (!published) return fail(published.error());
        ORDO_ASSERT(*published == current_batch_);
        push_mark(*published);
        stats_.batches++;
        stats_.records += buffer_.record_count();
        stats_.record_bytes += buffer_.used_bytes();
        if (snapshots_ != nullptr) {
            if (const auto next = sink_.position()) snapshots_->maybe_take(state_, *next);
        }
        return claim_body();
    }

    // Remembers how far each producer's replies reach at the end of `batch`.
    void push_mark(std::uint64_t batch) noexcept {
        ORDO_ASSERT(marks_count_ < marks_max);
        if (marks_count_ > 0) ORDO_ASSERT(marks_[newest_mark()].batch + 1 == batch);
        const std::uint32_t index = (marks_head_ + marks_count_) % marks_max;
        marks_[index].batch = batch;
        std::copy(replies_written_.begin(), replies_written_.end(),
                  mark_positions_.begin() + std::size_t{index} * producers_.size());
        marks_count_++;
    }
    std::uint32_t newest_mark() const noexcept {
        ORDO_ASSERT(marks_count_ > 0);
        return (marks_head_ + marks_count_ - 1) % marks_max;
    }

    // Every mark taken: wait for the oldest batch to be durable and hand out its replies.
    bool wait_oldest_mark() noexcept {
        auto durable = sink_.wait_durable(marks_[marks_head_].batch + 1);
        if (!durable) return fail(durable.error());
        return release_durable();
    }

    // Publishes every reply whose batch is durable to its producer: one release of each
    // producer's reply tail however many commands the durable batches held.
    bool release_durable() noexcept {
        if (marks_count_ == 0) return true;
        auto durable = sink_.poll();
        if (!durable) return fail(durable.error());
        durable_batches_ = *durable;
        if (snapshots_ != nullptr) snapshots_->note_durable(*durable);
        std::uint32_t released = marks_max;  // none
        while (marks_count_ > 0 && marks_[marks_head_].batch < *durable) {
            released = marks_head_;
            marks_head_ = (marks_head_ + 1) % marks_max;
            marks_count_--;
        }
        if (released == marks_max) return true;
        const std::uint64_t* reach =
            mark_positions_.data() + std::size_t{released} * producers_.size();
        for (std::uint32_t p = 0; p < producers_.size(); p++) {
            producers_[p]->replies_.publish_to(reach[p]);
        }
        return true;
    }

    bool fail(const std::string& why) noexcept {
        failure_ = why;
        failed_.store(true, std::memory_order_release);
        return false;
    }

    booking_state& state_;
    batch_sink& sink_;
    const sequencer_options options_;
    snapshotter* snapshots_;
    std::vector<std::unique_ptr<producer>> producers_;
    std::vector<std::uint64_t> replies_written_;  // per producer: replies claimed so far
    std::vector<batch_mark> marks_;               // ring of published, not yet durable
    std::vector<std::uint64_t> mark_positions_;   // marks_max x producers reply positions
    std::uint32_t marks_head_ = 0;
    std::uint32_t marks_count_ = 0;
    event_buffer buffer_;
    std::uint64_t current_batch_ = 0;
    std::uint64_t durable_batches_ = 0;  // the sink's watermark at the last poll
    std::uint64_t first_record_ns_ = 0;
    sequencer_stats stats_;
    base::parker parker_;
    std::atomic<bool> stop_requested_{false};
    std::atomic<bool> failed_{false};
    std::string failure_;
    std::thread thread_;
};

}  // namespace ordo::engine
