// SPDX-License-Identifier: GPL-2.0
//
// dmstat's count of lost event records (tools/dmstat/loss.h): a gap in
// the sequence numbers is a loss only if no record fills it by the end.
#include "loss.h"

#include <gtest/gtest.h>

#include <initializer_list>

namespace {

dmstat::LossCounter fed(std::initializer_list<std::uint64_t> seqs)
{
	dmstat::LossCounter loss;
	for (auto seq : seqs)
		loss.saw(seq);
	return loss;
}

TEST(LossCounter, RecordsInOrderLoseNothing)
{
	auto loss = fed({7, 8, 9, 10});
	EXPECT_EQ(loss.seen(), 4u);
	EXPECT_EQ(loss.lost(), 0u);
}

TEST(LossCounter, RecordsThatArriveOutOfOrderAreNotLost)
{
	EXPECT_EQ(fed({1, 3, 2, 4}).lost(), 0u);
	EXPECT_EQ(fed({1, 5, 3, 4, 2}).lost(), 0u);
}

TEST(LossCounter, AGapNoRecordFillsIsLost)
{
	EXPECT_EQ(fed({1, 2, 5, 6}).lost(), 2u);
	EXPECT_EQ(fed({1, 4, 3, 7}).lost(), 3u);	/* 2, 5 and 6 */
}

TEST(LossCounter, ARecordOlderThanTheFirstIsSeenNotLost)
{
	auto loss = fed({5, 4, 6});
	EXPECT_EQ(loss.seen(), 3u);
	EXPECT_EQ(loss.lost(), 0u);
}

TEST(LossCounter, ANumberFallenOutOfTheReorderWindowIsLost)
{
	constexpr auto window = dmstat::LossCounter::reorder_window;
	auto loss = fed({1, 3});
	EXPECT_EQ(loss.lost(), 1u);
	loss.saw(3 + window);	/* 2 is too old to come now */
	loss.saw(2);
	EXPECT_EQ(loss.lost(), window);	/* 2, and 4 to 2 + window */
	loss.saw(3 + window - 1);	/* within the window: not lost */
	EXPECT_EQ(loss.lost(), window - 1);
}

TEST(LossCounter, AGapWiderThanTheWindowCountsItsOldPartLostAtOnce)
{
	constexpr auto window = dmstat::LossCounter::reorder_window;
	auto loss = fed({1, window + 12});
	EXPECT_EQ(loss.lost(), window + 10);
	loss.saw(window + 11);	/* awaited: no longer lost */
	EXPECT_EQ(loss.lost(), window + 9);
}

} // namespace
