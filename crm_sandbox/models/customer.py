"""Simulated customers of a cohort's sandbox world, with their transactions and earlier interactions."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm_sandbox.models.base import Base
from crm_sandbox.models.personal import PersonalData

# The customer's personal-data fields, in display order. Each is a PersonalData column.
PERSONAL_FIELDS = (
    "title", "first_name", "middle_name", "last_name", "date_of_birth",
    "address_line1", "address_line2", "town", "postcode", "email", "phone",
    "account_number", "sort_code", "memorable_word", "balance",
)
# Fields with a blind index for exact-match search.
INDEXED_FIELDS = ("last_name", "postcode", "account_number", "email", "phone")


class Customer(Base):
    __tablename__ = "customer"
    __table_args__ = (UniqueConstraint("cohort_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id"), index=True)
    ref: Mapped[str] = mapped_column(String(16))  # e.g. "cust-00042", stable for a seed
    product: Mapped[str] = mapped_column(String(60))

    title: Mapped[str] = mapped_column(PersonalData)
    first_name: Mapped[str] = mapped_column(PersonalData)
    middle_name: Mapped[str] = mapped_column(PersonalData)
    last_name: Mapped[str] = mapped_column(PersonalData)
    date_of_birth: Mapped[str] = mapped_column(PersonalData)  # ISO 8601
    address_line1: Mapped[str] = mapped_column(PersonalData)
    address_line2: Mapped[str] = mapped_column(PersonalData)
    town: Mapped[str] = mapped_column(PersonalData)
    postcode: Mapped[str] = mapped_column(PersonalData)
    email: Mapped[str] = mapped_column(PersonalData)
    phone: Mapped[str] = mapped_column(PersonalData)
    account_number: Mapped[str] = mapped_column(PersonalData)
    sort_code: Mapped[str] = mapped_column(PersonalData)
    memorable_word: Mapped[str] = mapped_column(PersonalData)
    balance: Mapped[str] = mapped_column(PersonalData)  # decimal string, e.g. "1284.50"

    last_name_index: Mapped[str] = mapped_column(String(32), index=True)
    postcode_index: Mapped[str] = mapped_column(String(32), index=True)
    account_number_index: Mapped[str] = mapped_column(String(32), index=True)
    email_index: Mapped[str] = mapped_column(String(32), index=True)
    phone_index: Mapped[str] = mapped_column(String(32), index=True)

    transactions: Mapped[list["Transaction"]] = relationship(
        back_populates="customer", order_by="Transaction.posted_on.desc()", cascade="all, delete-orphan"
    )
    interactions: Mapped[list["PriorInteraction"]] = relationship(
        back_populates="customer", order_by="PriorInteraction.at.desc()", cascade="all, delete-orphan"
    )

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.title, self.first_name, self.middle_name, self.last_name) if p)

    def __repr__(self) -> str:
        return f"<Customer {self.ref}>"


class Transaction(Base):
    __tablename__ = "account_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    posted_on: Mapped[date]
    description: Mapped[str] = mapped_column(String(120))
    amount_pence: Mapped[int]  # negative for money out

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_pence) / 100

    customer: Mapped[Customer] = relationship(back_populates="transactions")


class PriorInteraction(Base):
    """A note from before the sandbox session, as a real CRM's history would hold."""

    __tablename__ = "prior_interaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(PersonalData)

    customer: Mapped[Customer] = relationship(back_populates="interactions")
